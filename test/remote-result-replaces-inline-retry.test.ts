/**
 * Review finding: an activity call whose journal row is 'retry' (an inline attempt failed and waits
 * out its backoff) and whose next attempt is routed remotely (new code sets proxyActivities'
 * taskQueue, or the worker that picks the thread up does not have the function registered) is never
 * delivered:
 *   - finishActivityTask journals with ON CONFLICT DO NOTHING, so the 'retry' row stays and the
 *     remote result is dropped, with no wake-up;
 *   - the thread re-runs at once (suspension's nextDueAt is the retry row's past due time), sees the
 *     same 'retry' row due, and schedules the activity again (the finished task was deleted, so
 *     scheduleActivity inserts a new one): the activity runs again and again and the workflow never
 *     finishes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemFlow, type MemFlowInstance } from '../src/index.js';
import { testConnection, uniqueAppId } from './support/backend.js';
import { untilJournaled } from './support/job-state.js';

let routeRemote = false;
export const runs = { inline: 0, remote: 0 };
const activities = {
  async chargeCard(): Promise<string> {
    if (!routeRemote) {
      runs.inline++;
      throw new Error('card processor timeout');
    }
    runs.remote++;
    return 'charged';
  },
};
const policy = { maximumAttempts: 3, backoffCoefficient: 1, maximumInterval: '1 second' };
const inline = MemFlow.workflow.proxyActivities<typeof activities>({ activities, retryPolicy: policy });
const routed = MemFlow.workflow.proxyActivities<typeof activities>({ taskQueue: 'payments', retryPolicy: policy });

export async function checkout(): Promise<string> {
  return routeRemote ? routed.chargeCard() : inline.chargeCard();
}

describe('an inline activity in backoff whose next attempt runs remotely', () => {
  let mf: MemFlowInstance;
  beforeAll(async () => {
    mf = await MemFlow.init({ appId: uniqueAppId('rv-route'), engine: { connection: testConnection() } });
    await mf.worker.create({ taskQueue: 'review', workflow: checkout });
    await mf.worker.registerActivityWorker({}, activities, 'payments');
  });
  afterAll(() => mf.shutdown());

  it('delivers the remote result and runs the activity once more', async () => {
    const handle = await mf.workflow.start({ taskQueue: 'review', workflowName: 'checkout' });
    const engine = await mf.client.engine(mf.appId);
    // first attempt failed inline: the journal holds a 'retry' row (its next attempt is 1 s away)
    const retry = await untilJournaled(engine, handle.workflowId, (row) => row.status === 'retry');
    expect(retry).toMatchObject({ kind: 'activity', name: 'chargeCard', attempt: 1 });
    routeRemote = true; // new code routes the activity to the 'payments' activity workers
    // generous: the bug this pins never finishes
    const outcome = await Promise.race([handle.result(), new Promise((r) => setTimeout(() => r('still running after 20 s'), 20_000))]);
    expect(outcome).toBe('charged');
    expect(runs, 'executions of chargeCard').toEqual({ inline: 1, remote: 1 });
  }, 40_000);
});
