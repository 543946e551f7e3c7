/**
 * A child or a hook on a topic no worker serves is warned of, as a client's start is (a typo in the
 * workflow name or the task queue would otherwise leave it waiting in silence). Before, only
 * `workflow.start` warned: `execChild` of an unserved workflow waited with nothing logged (found by a
 * review), and so did `startChild` and the hooks, from inside a workflow and from outside.
 */
import { MemFlow, type MemFlowInstance } from 'hotmesh';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, testConnection, uniqueAppId } from './support/backend.js';
import { captureLogs } from './support/log-capture.js';

export async function unservedParent(kind: 'exec' | 'start' | 'hook' | 'served'): Promise<string> {
  const id = `${MemFlow.workflow.getContext().workflowId}-kid`;
  if (kind === 'hook') {
    await MemFlow.workflow.hook({ taskQueue: 'unserved', workflowName: 'nobodyServesThisHook', args: [] });
    return 'hooked';
  }
  const options = { taskQueue: 'unserved', workflowName: kind === 'served' ? 'unservedChild' : 'unservedChlid', workflowId: id, args: [] };
  if (kind === 'served') return MemFlow.workflow.execChild(options);
  if (kind === 'start') return MemFlow.workflow.startChild(options);
  return MemFlow.workflow.execChild(options);
}

export async function unservedChild(): Promise<string> {
  return 'child';
}

describe('children and hooks on a topic no worker serves', () => {
  let mf: MemFlowInstance;
  const logs = captureLogs();
  const warningsAbout = (topic: string) => logs.entries.filter((e) => e.level === 'warn' && e.obj.topic === topic);

  beforeAll(async () => {
    mf = await MemFlow.init({ appId: uniqueAppId('unserved-kids'), engine: { connection: testConnection() }, logger: logs.logger });
    await mf.worker.create({ taskQueue: 'unserved', workflow: unservedParent });
    await mf.worker.create({ taskQueue: 'unserved', workflow: unservedChild });
  });
  afterAll(() => mf.shutdown());

  it('execChild of an unserved workflow warns, naming the child and the nearest served topic', async () => {
    const parent = await mf.workflow.start({ taskQueue: 'unserved', workflowName: 'unservedParent', args: ['exec'] });
    const kid = `${parent.workflowId}-kid`;
    await eventually(async () => logs.entries.some((e) => e.level === 'warn' && e.obj.jobId === kid), 10_000);
    const [warning] = logs.entries.filter((e) => e.level === 'warn' && e.obj.jobId === kid);
    expect(warning!.obj).toMatchObject({ topic: 'unserved-unservedChlid', taskQueue: 'unserved', workflowName: 'unservedChlid' });
    expect(warning!.obj.nearestServedTopics).toContain('unserved-unservedChild');
    expect(warning!.msg).toContain("no worker has served topic 'unserved-unservedChlid'");
  }, 30_000);

  it('startChild of an unserved workflow warns too', async () => {
    const parent = await mf.workflow.start({ taskQueue: 'unserved', workflowName: 'unservedParent', args: ['start'] });
    expect(await parent.result()).toBe(`${parent.workflowId}-kid`);
    await eventually(async () => logs.entries.some((e) => e.level === 'warn' && e.obj.jobId === `${parent.workflowId}-kid`), 10_000);
  }, 30_000);

  it('a hook on an unserved topic warns, from inside a workflow and from outside', async () => {
    const parent = await mf.workflow.start({ taskQueue: 'unserved', workflowName: 'unservedParent', args: ['hook'] });
    expect(await parent.result()).toBe('hooked');
    await eventually(async () => warningsAbout('unserved-nobodyServesThisHook').some((e) => e.obj.jobId === parent.workflowId), 10_000);
    await parent.hook({ taskQueue: 'unserved', workflowName: 'outsideHookTypo', args: [] });
    await eventually(async () => warningsAbout('unserved-outsideHookTypo').length > 0, 10_000);
    expect(warningsAbout('unserved-outsideHookTypo')[0]!.obj.jobId).toBe(parent.workflowId);
  }, 30_000);

  it('a served child says nothing', async () => {
    const parent = await mf.workflow.start({ taskQueue: 'unserved', workflowName: 'unservedParent', args: ['served'] });
    expect(await parent.result()).toBe('child');
    await new Promise((r) => setTimeout(r, 1500)); // past the look at starts not known served (500 ms)
    expect(warningsAbout('unserved-unservedChild')).toEqual([]);
  }, 30_000);
});
