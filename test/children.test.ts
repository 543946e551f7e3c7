/** Child workflows: their own job and context, awaited or not, and upstream's collision semantics. */
import { MemFlow, type MemFlowInstance } from 'hotmesh';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, testConnection, uniqueAppId } from './support/backend.js';

export async function childWork(name: string) {
  const ctx = await MemFlow.workflow.context();
  await ctx.set({ child: name });
  await MemFlow.workflow.sleepFor('20 milliseconds');
  return `child of ${name}`;
}

export async function failingChild() {
  throw new MemFlow.Errors.MemFlowFatalError('child gave up');
}

export async function parent(name: string) {
  const ctx = await MemFlow.workflow.context();
  await ctx.set({ parent: name });
  const [awaited, startedId] = await Promise.all([
    MemFlow.workflow.execChild<string>({ taskQueue: 'kids', workflowName: 'childWork', args: [name] }),
    MemFlow.workflow.startChild({ taskQueue: 'kids', workflowName: 'childWork', args: ['started'], workflowId: `${name}-started` }),
  ]);
  return { awaited, startedId };
}

export async function parentOfFailure() {
  try {
    await MemFlow.workflow.execChild({ taskQueue: 'kids', workflowName: 'failingChild' });
    return 'not reached';
  } catch (err) {
    return { name: (err as Error).name, message: (err as Error).message };
  }
}

export async function collision() {
  const { workflowId } = MemFlow.workflow.getContext();
  return MemFlow.workflow.execChild({
    taskQueue: 'kids',
    workflowName: 'childWork',
    workflowId,
    config: { maximumAttempts: 2, maximumInterval: '1 second', backoffCoefficient: 1 },
  });
}

let fixAttempts = 0;
export async function fixable() {
  fixAttempts++;
  const { workflowId } = MemFlow.workflow.getContext();
  await MemFlow.workflow.execChild({ taskQueue: 'kids', workflowName: 'childWork', args: ['x'], workflowId: fixAttempts < 3 ? workflowId : `${workflowId}-fixed` });
  return 'Hello, FIXED!';
}

describe('child workflows', () => {
  let mf: MemFlowInstance;
  beforeAll(async () => {
    mf = await MemFlow.init({ appId: uniqueAppId('children'), engine: { connection: testConnection() } });
    for (const workflow of [childWork, failingChild, parent, parentOfFailure, collision, fixable]) {
      await mf.worker.create({ taskQueue: 'kids', workflow });
    }
  });
  afterAll(() => mf.shutdown());

  it('awaits one child and starts another; each child keeps its own context', async () => {
    const handle = await mf.workflow.start({ taskQueue: 'kids', workflowName: 'parent', args: ['P1'], workflowId: `p1-${Date.now()}` });
    const out = await handle.result();
    expect(out).toEqual({ awaited: 'child of P1', startedId: 'P1-started' });
    expect(await handle.context().get()).toEqual({ parent: 'P1' });
    const started = await mf.workflow.getHandle('kids', 'childWork', 'P1-started');
    expect(await started.result()).toBe('child of started');
    expect(await started.context().get()).toEqual({ child: 'started' });
  });

  it("throws a failed child's error into the parent by its code", async () => {
    const handle = await mf.workflow.start({ taskQueue: 'kids', workflowName: 'parentOfFailure' });
    expect(await handle.result()).toEqual({ name: 'MemFlowFatalError', message: 'child gave up' });
  });

  it('fails a parent whose child id collides, after re-running it per its config', async () => {
    const handle = await mf.workflow.start({
      taskQueue: 'kids',
      workflowName: 'collision',
      workflowId: `collision-${Date.now()}`,
      config: { maximumAttempts: 2, maximumInterval: '1 second', backoffCoefficient: 1 },
    });
    const err = await handle.result().catch((e) => e);
    expect(err.message).toBe(`Duplicate job: ${handle.workflowId}`);
  });

  it('re-runs a parent whose child spawn failed, and succeeds once the code picks a fresh id', async () => {
    fixAttempts = 0;
    const handle = await mf.workflow.start({
      taskQueue: 'kids',
      workflowName: 'fixable',
      config: { maximumAttempts: 3, maximumInterval: '1 second', backoffCoefficient: 1 },
    });
    expect(await handle.result({ throwOnError: false })).toBe('Hello, FIXED!');
    await eventually(async () => fixAttempts >= 3);
  });
});
