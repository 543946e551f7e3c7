/**
 * A cancel asked for before a timer is due cancels that sleep, however late a worker gets to it (a
 * black-box pass, two worker processes: cancel() resolved 22-130 ms before a 300 ms sleep was due,
 * and the workflow still slept to its end and completed). The run compared the timer with its own
 * clock, after the claim: a timer due by then was delivered as done, and with no later wait the
 * request was never delivered. Here the only slot of the app's worker is held by another workflow
 * from before the cancel until after the timer is due, which makes the late run certain.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, MemFlow, type MemFlowInstance, WorkflowFailedError } from '../src/index.js';
import { eventually, testConnection, uniqueAppId } from './support/backend.js';

const acts = {
  async hold(ms: number) {
    await new Promise((r) => setTimeout(r, ms));
    return ms;
  },
};

export async function napper() {
  await MemFlow.workflow.sleepFor('1500 milliseconds');
  return 'woke';
}

export async function blocker(ms: number) {
  const { hold } = MemFlow.workflow.proxyActivities({ activities: acts });
  return hold(ms);
}

describe('cancel before a timer is due', () => {
  let mf: MemFlowInstance;
  beforeAll(async () => {
    mf = await MemFlow.init({ appId: uniqueAppId('cbd'), engine: { connection: testConnection() } });
    // one slot: while blocker runs, nothing else of the app is claimed
    await mf.worker.create({ taskQueue: 'cbd', workflow: napper, options: { concurrency: 1 } });
    await mf.worker.create({ taskQueue: 'cbd', workflow: blocker });
  });
  afterAll(() => mf.shutdown());

  it('cancels the sleep even when the run that delivers it starts after the timer is due', async () => {
    const nap = await mf.workflow.start({ taskQueue: 'cbd', workflowName: 'napper' });
    await eventually(async () => (await nap.describe()).waitingFor.timers.length === 1);
    const due = Date.parse(String((await nap.describe()).waitingFor.timers[0]!.dueAt));
    const block = await mf.workflow.start({ taskQueue: 'cbd', workflowName: 'blocker', args: [2_500] });
    await eventually(async () => (await block.describe()).status === 'running');
    await nap.cancel({ reason: 'before the alarm' });
    const cancelledAt = Date.now();
    expect(due - cancelledAt, 'the cancel returned before the timer was due').toBeGreaterThan(300);
    expect(await block.result()).toBe(2_500);
    const error = await nap.result().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkflowFailedError);
    expect((error as WorkflowFailedError).code).toBe(ErrorCode.CANCELLED);
    const history = await nap.history();
    expect(history[0]).toMatchObject({ kind: 'sleep', status: 'failed', error: { type: 'CancelledError' } });
  });
});
