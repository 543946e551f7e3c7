/**
 * Review finding: the lease heartbeat (extendLeases) fences on `claims` only. Suspending, retrying and
 * parking a thread release the task without changing `claims` (lease_owner = NULL, run_at = the due
 * time), so a heartbeat that read `held` before the run ended and reaches the database after the
 * release (the interval fires while suspendThread is in flight: on PostgreSQL the two statements run
 * on different pooled connections; on PGlite the heartbeat is simply queued behind it) moves run_at to
 * now() + leaseSeconds:
 *   - a sleep due in 1 s fires after 30 s;
 *   - a thread a signal already woke (suspendThread saw `wakeups` move and set run_at = now()) waits 30 s;
 *   - a parked thread (run_at = 'infinity') is revived and re-runs its NonDeterminismError.
 * This test plays the heartbeat's statement right after the suspension, with the claims value the
 * worker held.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemFlow, type MemFlowInstance } from '../src/index.js';
import { eventually, testConnection, uniqueAppId } from './support/backend.js';
import { extendLeases } from '../src/sql/queries/tasks.js';

export async function napper(): Promise<string> {
  await MemFlow.workflow.sleepFor('1 second');
  return 'woke';
}

describe('a late heartbeat after the run released its task', () => {
  let mf: MemFlowInstance;
  beforeAll(async () => {
    mf = await MemFlow.init({ appId: uniqueAppId('rv-beat'), engine: { connection: testConnection() } });
    await mf.worker.create({ taskQueue: 'review', workflow: napper });
  });
  afterAll(() => mf.shutdown());

  it('does not extend the lease of a task that is no longer leased', async () => {
    const handle = await mf.workflow.start({ taskQueue: 'review', workflowName: 'napper' });
    const engine = await mf.client.engine(mf.appId);
    const task = await eventually(async () => {
      const r = await engine.driver.query<{ id: string; claims: number }>(
        `SELECT id::text, claims FROM ${engine.sqlSchema}.tasks WHERE job_id = $1 AND lease_owner IS NULL AND run_at > now()`,
        [handle.workflowId],
      );
      return r.rows[0];
    }, 10_000, 5);
    // the heartbeat statement for the `held` entry (id, claims) the worker still had
    const beat = await engine.query(extendLeases, { ids: [task.id], claims: [task.claims], leaseSeconds: 30, owner: 'the-worker-that-held-it' });
    expect.soft(beat.rows, 'tasks the heartbeat extended').toEqual([]);

    // generous, and well under the 30 s lease the bug moves the wake-up to
    const outcome = await Promise.race([handle.result(), new Promise((r) => setTimeout(() => r('still asleep after 15 s'), 15_000))]);
    expect(outcome).toBe('woke');
  }, 40_000);
});
