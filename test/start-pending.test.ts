/**
 * `start({ pending: seconds })` (memflow-api.md §2.2): the job is created paused, its id taken and its
 * search fields stored; it runs once `handle.resume()` releases it, and one not resumed within that
 * time is scrubbed. Before, the option was warned about and the job started at once.
 */
import { Client, MemFlow, type MemFlowInstance } from 'hotmesh';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, testConnection, uniqueAppId } from './support/backend.js';

const ran: string[] = [];

export async function pendingWork(tag: string): Promise<string> {
  ran.push(MemFlow.workflow.getContext().workflowId);
  return `ran ${tag}`;
}

export async function pendingHook(): Promise<void> {
  await MemFlow.workflow.waitFor('pending-hook-go');
}

describe('start({ pending })', () => {
  let mf: MemFlowInstance;
  beforeAll(async () => {
    mf = await MemFlow.init({ appId: uniqueAppId('pending'), engine: { connection: testConnection() }, logLevel: 'error' });
    await mf.worker.create({ taskQueue: 'pending', workflow: pendingWork });
    await mf.worker.create({ taskQueue: 'pending', workflow: pendingHook });
  });
  afterAll(() => mf.shutdown());

  const start = (extra: Record<string, unknown>) =>
    mf.workflow.start({ taskQueue: 'pending', workflowName: 'pendingWork', args: ['a'], ...extra } as Parameters<MemFlowInstance['workflow']['start']>[0]);

  it('creates the job paused, with its search fields; resume() runs it', async () => {
    const handle = await start({ pending: 30, search: { data: { stage: 'draft' } } });
    const result = handle.result();
    let settled = false;
    void result.then(() => (settled = true), () => (settled = true));
    await new Promise((r) => setTimeout(r, 1500)); // a started job would have run by now
    expect(ran).not.toContain(handle.workflowId);
    expect(settled).toBe(false);
    const until = (await handle.describe()).pendingUntil;
    expect(Date.parse(until!) - Date.now()).toBeGreaterThan(20_000); // about 30 s from the start
    // its search fields are stored: listed by them while it waits
    const listed = await mf.workflow.list({ search: { stage: 'draft' } });
    expect(listed.items.map((i) => i.workflowId)).toContain(handle.workflowId);
    await handle.resume();
    expect(await result).toBe('ran a');
    expect((await handle.describe()).pendingUntil).toBeUndefined();
    expect(ran.filter((id) => id === handle.workflowId)).toHaveLength(1);
  }, 30_000);

  it('keeps its id: another start with it is a DuplicateJobError', async () => {
    const handle = await start({ pending: 30 });
    await expect(start({ workflowId: handle.workflowId })).rejects.toMatchObject({ name: 'DuplicateJobError' });
    await expect(start({ workflowId: handle.workflowId, pending: 5 })).rejects.toMatchObject({ name: 'DuplicateJobError' });
    await handle.resume();
    expect(await handle.result()).toBe('ran a');
  }, 30_000);

  it('a job not resumed in time is scrubbed, never run', async () => {
    const handle = await start({ pending: 1 });
    await eventually(
      async () => {
        try {
          await handle.state(true);
          return false;
        } catch (err) {
          return (err as Error).name === 'JobNotFoundError';
        }
      },
      20_000,
      100,
    );
    expect(ran).not.toContain(handle.workflowId);
    await expect(handle.resume()).rejects.toMatchObject({ name: 'JobNotFoundError' });
  }, 30_000);

  it('a resumed job is kept past its pending time, and runs once', async () => {
    const handle = await start({ pending: 1 });
    await handle.resume();
    expect(await handle.result()).toBe('ran a');
    await new Promise((r) => setTimeout(r, 2000)); // past the pending time, and a sweep after it
    expect((await handle.state(true)).metadata.js).toBe(0);
  }, 30_000);

  it('refuses a pending that is not a non-negative number of seconds, before any SQL', async () => {
    for (const pending of [-1, 0, 'soon', Number.NaN]) {
      await expect(start({ pending })).rejects.toMatchObject({ name: 'ValidationError', message: expect.stringContaining('pending') });
    }
  });

  it('the established form takes it too', async () => {
    const client = new Client({ connection: testConnection() });
    const handle = await client.workflow.start({ namespace: mf.appId, taskQueue: 'pending', workflowName: 'pendingWork', args: ['b'], pending: 30 });
    await new Promise((r) => setTimeout(r, 500));
    expect(ran).not.toContain(handle.workflowId);
    await handle.resume();
    expect(await handle.result()).toBe('ran b');
  }, 30_000);

  it('a hook still running on a pending job keeps it past its time; once the hook ends it is scrubbed', async () => {
    const handle = await start({ pending: 1 });
    await handle.hook({ taskQueue: 'pending', workflowName: 'pendingHook', args: [] });
    await new Promise((r) => setTimeout(r, 2500)); // past the pending time, and the sweep it set
    expect((await handle.describe()).hooks).toHaveLength(1); // still there: the hook is owed its run
    await mf.workflow.signal('pending-hook-go', {});
    await eventually(
      async () => handle.describe().then(() => false, (err: Error) => err.name === 'JobNotFoundError'),
      25_000,
      100,
    );
    expect(ran).not.toContain(handle.workflowId);
  }, 40_000);
});
