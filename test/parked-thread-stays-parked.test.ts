/**
 * Issue 7 ("also found"): wake_thread set `run_at = now()` for any task not leased, parked ones
 * included. A thread parked on a NonDeterminismError (its task never due: run_at 'infinity') was
 * run again by the next signal, child completion or remote activity result addressed to it, met
 * the same NonDeterminismError and was parked again, as often as something woke it. A parked
 * thread stays parked until an operator resumes it; what arrives meanwhile is journaled as usual and
 * replayed when it is resumed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemFlow, type MemFlowInstance } from '../src/index.js';
import { eventually, testConnection, uniqueAppId } from './support/backend.js';

let shape: 'first' | 'changed' = 'first';
let runs = 0;

const acts = MemFlow.workflow.proxyActivities({
  activities: {
    async stepA() {
      return 'a';
    },
    async stepB() {
      return 'b';
    },
  },
});

export async function changesShape(): Promise<unknown> {
  runs++; // not durable: counts every run
  if (shape === 'first') await acts.stepA();
  else await acts.stepB();
  return Promise.all([MemFlow.workflow.waitFor('one'), MemFlow.workflow.waitFor('two')]);
}

describe('a parked thread', () => {
  let mf: MemFlowInstance;
  beforeAll(async () => {
    mf = await MemFlow.init({ appId: uniqueAppId('parked'), engine: { connection: testConnection() } });
    await mf.worker.create({ taskQueue: 'park', workflow: changesShape });
  });
  afterAll(() => mf.shutdown());

  it('is not run again by a signal delivered to one of its waiters', async () => {
    const handle = await mf.workflow.start({ taskQueue: 'park', workflowName: 'changesShape' });
    const engine = await mf.client.engine(mf.appId);
    const s = engine.sqlSchema;
    const id = handle.workflowId;
    await eventually(async () => (await engine.driver.query(`SELECT 1 FROM ${s}.waiters WHERE job_id = $1`, [id])).rowCount === 2);

    // the code changes; the next run replays stepA as stepB and parks the job
    shape = 'changed';
    await handle.signal('one', 1);
    await eventually(async () => (await engine.driver.query<{ status: string }>(`SELECT status FROM ${s}.jobs WHERE id = $1`, [id])).rows[0]?.status === 'parked');
    expect(runs).toBe(2);

    // its other waiter is still registered: a signal to it is journaled, and must not run the thread
    await handle.signal('two', 2);
    await new Promise((r) => setTimeout(r, 1500));
    const task = await engine.driver.query<{ run_at: string; lease_owner: string | null }>(`SELECT run_at::text, lease_owner FROM ${s}.tasks WHERE job_id = $1`, [id]);
    expect.soft(task.rows[0], 'the parked task after the signal').toEqual({ run_at: 'infinity', lease_owner: null });
    expect(runs, 'runs of the parked workflow').toBe(2);
    const journaled = await engine.driver.query(`SELECT result FROM ${s}.journal WHERE job_id = $1 AND kind = 'wait' AND name = 'two'`, [id]);
    expect(journaled.rows, 'the signal is kept for the run that resumes it').toEqual([{ result: 2 }]);
  }, 20_000);
});
