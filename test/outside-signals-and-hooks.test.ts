/**
 * Issue 7 ("also found"): signals from outside to jobs that do not exist or have finished were
 * buffered forever, with no error and no expiry; outside `signal` and `hook` had no idempotency key,
 * so a client retrying after a lost reply applied them twice.
 *
 * The rules these tests hold (README, "Signals from outside"):
 * - `handle.signal` to a job that does not exist rejects with JobNotFoundError;
 * - to a job none of whose threads is running or parked (it finished, and no hook of it runs) it
 *   rejects with JobFinishedError, since nothing could ever receive it; a hook running on a finished
 *   job still receives its signals;
 * - a buffered signal expires: an app-wide one after `expire` seconds (default 7 days), a
 *   job-addressed one with `expire` if given, and in any case once no thread of its job runs;
 * - `signalKey` (signals) and `hookId` (hooks) make a retry apply once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemFlow, type MemFlowInstance } from '../src/index.js';
import type { Engine } from '../src/engine/engine.js';
import { isHotMeshError } from '../src/errors.js';
import * as signals from '../src/sql/queries/signals.js';
import { eventually, testConnection, uniqueAppId } from './support/backend.js';

export async function quick(x: number): Promise<number> {
  return x;
}

export async function waitsTwice(): Promise<unknown[]> {
  const s = await MemFlow.workflow.waitFor('s');
  const t = await MemFlow.workflow.waitFor('t');
  return [s, t];
}

export async function hookWaits(): Promise<void> {
  const value = await MemFlow.workflow.waitFor('x');
  const ctx = await MemFlow.workflow.context();
  await ctx.set({ fromHook: value });
}

const rejection = (p: Promise<unknown>) =>
  p.then(
    () => 'resolved',
    (err: unknown) => (isHotMeshError(err) ? err.kind : `other: ${(err as Error).message}`),
  );

describe('signals and hooks from outside', () => {
  let mf: MemFlowInstance;
  let engine: Engine;
  const buffered = async (signalId: string) =>
    (await engine.driver.query<{ job_id: string | null; expires_in: number | null }>(
      `SELECT job_id, extract(epoch FROM expire_at - now())::float8 AS expires_in FROM ${engine.sqlSchema}.signals WHERE signal_id = $1 ORDER BY id`,
      [signalId],
    )).rows;

  beforeAll(async () => {
    mf = await MemFlow.init({ appId: uniqueAppId('outsig'), engine: { connection: testConnection() } });
    await mf.worker.create({ taskQueue: 'sig', workflow: quick });
    await mf.worker.create({ taskQueue: 'sig', workflow: waitsTwice });
    await mf.worker.create({ taskQueue: 'sig', workflow: hookWaits });
    engine = await mf.client.engine(mf.appId);
  });
  afterAll(() => mf.shutdown());

  it('a signal to a job that does not exist is refused with JobNotFoundError, and nothing is kept', async () => {
    const handle = await mf.workflow.getHandle('sig', 'quick', 'no-such-job');
    expect(await rejection(handle.signal('nobody-1', 1))).toBe('JobNotFoundError');
    expect(await buffered('nobody-1')).toEqual([]);
  });

  it('a signal to a finished job with no running thread is refused with JobFinishedError, and nothing is kept', async () => {
    const handle = await mf.workflow.start({ taskQueue: 'sig', workflowName: 'quick', args: [1] });
    expect(await handle.result()).toBe(1);
    expect(await rejection(handle.signal('late-1', 1))).toBe('JobFinishedError');
    expect(await buffered('late-1')).toEqual([]);
  });

  it('a hook running on a finished job still receives its signal (sent before or after it waits)', async () => {
    const handle = await mf.workflow.start({ taskQueue: 'sig', workflowName: 'quick', args: [2] });
    await handle.result();
    await handle.hook({ taskQueue: 'sig', workflowName: 'hookWaits' });
    await handle.signal('x', 'to the hook'); // likely before the hook waits: kept for it
    const context = await handle.context();
    await eventually(async () => (await context.get('fromHook')) === 'to the hook');
  });

  it('an app-wide signal nobody waits for expires (7 days by default, `expire` seconds if given)', async () => {
    await mf.workflow.signal('unclaimed-1', 1);
    const [kept] = await buffered('unclaimed-1');
    expect(kept?.job_id).toBeNull();
    expect(kept?.expires_in).toBeGreaterThan(7 * 86_400 - 60);
    expect(kept?.expires_in).toBeLessThanOrEqual(7 * 86_400);

    await mf.workflow.signal('s', 'expired', undefined, { expire: 0.2 });
    await new Promise((r) => setTimeout(r, 400));
    // a waiter that comes later does not get the expired signal ...
    const handle = await mf.workflow.start({ taskQueue: 'sig', workflowName: 'waitsTwice' });
    await eventually(async () => (await engine.driver.query(`SELECT 1 FROM ${engine.sqlSchema}.waiters WHERE job_id = $1`, [handle.workflowId])).rowCount === 1);
    // ... and the sweep removes it
    await engine.query(signals.sweepSignals, { keySeconds: 7 * 86_400, lockKey: 'test-sweep-signals' });
    expect((await buffered('s')).filter((r) => r.job_id === null)).toEqual([]);
    await handle.signal('s', 'live');
    await handle.signal('t', 'too');
    expect(await handle.result()).toEqual(['live', 'too']);
  });

  it('a job-addressed signal left unconsumed is dropped once the job has finished', async () => {
    const handle = await mf.workflow.start({ taskQueue: 'sig', workflowName: 'waitsTwice' });
    await handle.signal('s', 1);
    await handle.signal('t', 2);
    await handle.signal('t', 'never consumed'); // the job waits for 't' once
    expect(await handle.result()).toEqual([1, 2]);
    expect((await buffered('t')).filter((r) => r.job_id === handle.workflowId)).toHaveLength(1);
    await engine.query(signals.sweepSignals, { keySeconds: 7 * 86_400, lockKey: 'test-sweep-signals' });
    expect((await buffered('t')).filter((r) => r.job_id === handle.workflowId)).toEqual([]);
  });

  it('a retried signal with the same signalKey applies once, even after the job consumed it and finished', async () => {
    const handle = await mf.workflow.start({ taskQueue: 'sig', workflowName: 'waitsTwice' });
    await handle.signal('s', 'first', { signalKey: 'req-1' });
    await handle.signal('s', 'first', { signalKey: 'req-1' }); // the client's retry after a lost reply
    await handle.signal('t', 'second');
    expect(await handle.result()).toEqual(['first', 'second']);
    expect((await buffered('s')).filter((r) => r.job_id === handle.workflowId), 'the retry was not kept as a second signal').toEqual([]);
    // a retry after the job finished is still recognised as a retry, not refused
    expect(await rejection(handle.signal('s', 'first', { signalKey: 'req-1' }))).toBe('resolved');

    await mf.workflow.signal('app-keyed', 1, undefined, { signalKey: 'req-2' });
    await mf.workflow.signal('app-keyed', 1, undefined, { signalKey: 'req-2' });
    expect(await buffered('app-keyed')).toHaveLength(1);
  });

  it('a retried hook with the same hookId starts one thread', async () => {
    const handle = await mf.workflow.start({ taskQueue: 'sig', workflowName: 'waitsTwice' });
    const first = await handle.hook({ taskQueue: 'sig', workflowName: 'hookWaits', hookId: 'req-3' });
    const again = await mf.workflow.hook({ workflowId: handle.workflowId, taskQueue: 'sig', workflowName: 'hookWaits', hookId: 'req-3' });
    expect(again).toBe(first);
    const threads = await engine.driver.query(`SELECT thread FROM ${engine.sqlSchema}.threads WHERE job_id = $1 AND thread <> 'main'`, [handle.workflowId]);
    expect(threads.rows).toEqual([{ thread: first }]);
    await handle.interrupt();
  });
});
