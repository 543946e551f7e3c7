/**
 * Review finding: a waitFor that lost a Promise.race (the usual "wait for approval, or time out"
 * pattern) stays registered in `waiters` for as long as the thread runs. A job-addressed signal goes to
 * the job's *oldest* waiter (deliver_signal: ORDER BY created_at, seq LIMIT 1), so when the workflow
 * waits again for the same signal id, the next handle.signal() is journaled into the abandoned seq,
 * which no code can observe any more. The live waitFor never settles: the signal is lost and the
 * workflow hangs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemFlow, type MemFlowInstance } from '../src/index.js';
import { eventually, testConnection, uniqueAppId } from './support/backend.js';

export async function approvalWithReminder(): Promise<unknown> {
  // wait up to 300 ms for the approval, then wait again (e.g. after sending a reminder)
  const first = await Promise.race([
    MemFlow.workflow.waitFor<{ ok: boolean }>('approve'),
    MemFlow.workflow.sleepFor('300 milliseconds').then(() => 'timeout' as const),
  ]);
  if (first !== 'timeout') return first;
  return MemFlow.workflow.waitFor<{ ok: boolean }>('approve');
}

describe('signal to a job after a timed-out waitFor', () => {
  let mf: MemFlowInstance;
  beforeAll(async () => {
    mf = await MemFlow.init({ appId: uniqueAppId('rv-sigto'), engine: { connection: testConnection() } });
    await mf.worker.create({ taskQueue: 'review', workflow: approvalWithReminder });
  });
  afterAll(() => mf.shutdown());

  it('delivers handle.signal() to the waitFor the workflow is actually blocked on', async () => {
    const handle = await mf.workflow.start({ taskQueue: 'review', workflowName: 'approvalWithReminder' });
    const engine = await mf.client.engine(mf.appId);
    // the second waitFor (after the timeout) is registered
    const waiters = await eventually(async () => {
      const r = await engine.driver.query<{ seq: number }>(
        `SELECT seq FROM ${engine.sqlSchema}.waiters WHERE job_id = $1 ORDER BY seq`,
        [handle.workflowId],
      );
      return r.rows.length >= 2 && r.rows.map((x) => x.seq);
    });
    // the abandoned waiter of the race is still there, ahead of the live one
    expect(waiters).toHaveLength(2);

    await handle.signal('approve', { ok: true });
    const outcome = await Promise.race([
      handle.result(),
      new Promise((r) => setTimeout(() => r('still waiting after 20 s'), 20_000)), // generous: the bug never settles
    ]);
    expect(outcome).toEqual({ ok: true });
  }, 40_000);
});
