/**
 * Timers and signals win against running inline activities, and waits can time out (issue 7,
 * faults 2 and 7). Before: `Promise.race([slowInlineActivity(), sleepFor('500 ms')])` resolved when the
 * activity finished (the run waited for it before delivering anything), a cancel signal was blocked
 * the same way, `startToCloseTimeout` was accepted and ignored, and a signal sent after a waitFor
 * lost a race went to the abandoned waiter and was lost.
 */
import { MemFlow, type MemFlowInstance, WaitTimeoutError } from 'hotmesh';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { gateSet, within } from './support/gates.js';
import { eventually, testConnection, uniqueAppId } from './support/backend.js';
import { journalOf, untilJournaled, untilWaiting } from './support/job-state.js';

/** The slow activities run until the test opens their gate (by tag); afterEach opens them all. */
const { gate, openAll } = gateSet();

/** What each slow activity execution did, in order, by tag: 'start 1', 'end 1' (attempt 1), ... */
const events = new Map<string, string[]>();
const record = (tag: string, event: string) => events.set(tag, [...(events.get(tag) ?? []), event]);

const acts = MemFlow.workflow.proxyActivities({
  activities: {
    /** Runs until the test opens its gate. */
    async slowStep(tag: string) {
      const { attempt } = MemFlow.activity.getContext();
      record(tag, `start ${attempt}`);
      await gate(tag).opened;
      record(tag, `end ${attempt}`);
      return `${tag}:slow`;
    },
  },
  retryPolicy: { maximumAttempts: 0 },
});

const timed = MemFlow.workflow.proxyActivities({
  activities: {
    /** The first attempt hangs until the test opens its gate; later ones answer at once. */
    async sometimesHangs(tag: string) {
      const { attempt } = MemFlow.activity.getContext();
      record(tag, `start ${attempt}`);
      if (attempt === 1) await gate(tag).opened;
      record(tag, `end ${attempt}`);
      return `${tag}:attempt-${attempt}`;
    },
  },
  startToCloseTimeout: '500 ms',
  retryPolicy: { maximumAttempts: 2, backoffCoefficient: 1 },
});

export async function sleepBeatsActivity(tag: string) {
  const started = Date.now();
  const winner = await Promise.race([acts.slowStep(tag), MemFlow.workflow.sleepFor('500 milliseconds').then(() => 'timer')]);
  return { winner, waitedMs: Date.now() - started };
}

export async function signalBeatsActivity(tag: string) {
  const winner = await Promise.race([acts.slowStep(tag), MemFlow.workflow.waitFor<string>('cancel')]);
  return winner;
}

export async function hangingAttempt(tag: string) {
  return timed.sometimesHangs(tag);
}

export async function approvalOrTimeout() {
  let first: string;
  try {
    first = await MemFlow.workflow.waitFor<string>('approve', { timeout: '300 milliseconds' });
  } catch (err) {
    if (!(err instanceof WaitTimeoutError)) throw err;
    first = `timed out after ${err.timeoutMs} ms`;
  }
  await MemFlow.workflow.sleepFor('2 seconds');
  const second = await MemFlow.workflow.waitFor<string>('approve');
  return { first, second };
}

export async function approvalInTime() {
  return MemFlow.workflow.waitFor<string>('approve', { timeout: '30 seconds' });
}

export async function uncaughtTimeout() {
  return MemFlow.workflow.waitFor('never', { timeout: 200 });
}

describe('timers, signals and deadlines against running work', () => {
  let mf: MemFlowInstance;
  beforeAll(async () => {
    mf = await MemFlow.init({ appId: uniqueAppId('races'), engine: { connection: testConnection() } });
    for (const workflow of [sleepBeatsActivity, signalBeatsActivity, hangingAttempt, approvalOrTimeout, approvalInTime, uncaughtTimeout]) {
      await mf.worker.create({ taskQueue: 'races', workflow });
    }
  });
  // a test that failed with a gate shut leaves no run waiting on it (nor the shutdown)
  afterEach(() => {
    openAll();
  });
  afterAll(() => mf.shutdown());
  const engine = () => mf.client.engine(mf.appId);

  it('a sleep wins a race against an inline activity that is still running', async () => {
    const tag = `sleep-${Date.now()}`;
    const handle = await mf.workflow.start({ taskQueue: 'races', workflowName: 'sleepBeatsActivity', args: [tag] });
    // the activity runs until its gate opens, after the result: a run that waits for it never ends
    const out = await within(handle.result(), 20_000, 'the result, with the activity still running');
    expect(out.winner).toBe('timer');
    expect(out.waitedMs).toBeGreaterThanOrEqual(450);
    expect(events.get(tag)).toEqual(['start 1']);
    // the workflow ended before the activity: its late result is never journaled
    gate(tag).open();
    await eventually(async () => events.get(tag)!.includes('end 1'), 10_000, 10);
    await new Promise((r) => setTimeout(r, 500));
    const rows = await journalOf(await engine(), handle.workflowId);
    expect(rows.filter((r) => r.kind === 'activity')).toEqual([]);
  }, 30_000);

  it('a signal wins a race against an inline activity that is still running', async () => {
    const tag = `signal-${Date.now()}`;
    const handle = await mf.workflow.start({ taskQueue: 'races', workflowName: 'signalBeatsActivity', args: [tag] });
    const db = await engine();
    await untilWaiting(db, handle.workflowId, 'cancel');
    await handle.signal('cancel', 'stop now');
    // the activity runs until its gate opens (afterEach): a run that waits for it never ends
    expect(await within(handle.result(), 20_000, 'the result, with the activity still running')).toBe('stop now');
    expect(events.get(tag)).toEqual(['start 1']);
  }, 30_000);

  it('enforces startToCloseTimeout: the hung attempt fails, the retry answers, the late result is dropped', async () => {
    const tag = `hang-${Date.now()}`;
    const handle = await mf.workflow.start({ taskQueue: 'races', workflowName: 'hangingAttempt', args: [tag] });
    // attempt 1 hangs until its gate opens, after the result: a timeout ignored, the result never comes
    expect(await within(handle.result(), 20_000, 'the result, with attempt 1 still hanging')).toBe(`${tag}:attempt-2`);
    gate(tag).open();
    await eventually(async () => events.get(tag)!.includes('end 1'), 10_000, 10);
    // attempt 2 ran while attempt 1 still hung, not after it
    expect(events.get(tag)).toEqual(['start 1', 'start 2', 'end 2', 'end 1']);
    // attempt 1's late result is dropped
    await new Promise((r) => setTimeout(r, 500));
    const rows = await journalOf(await engine(), handle.workflowId);
    expect(rows.filter((r) => r.kind === 'activity').map((r) => [r.status, r.attempt])).toEqual([['done', 2]]);
  }, 30_000);

  it('waitFor with a timeout retires its waiter: a signal sent after the timeout reaches the next waitFor', async () => {
    const handle = await mf.workflow.start({ taskQueue: 'races', workflowName: 'approvalOrTimeout' });
    const db = await engine();
    // the first wait timed out (journaled as such), and the workflow sleeps 2 s: no waiter exists
    await untilJournaled(db, handle.workflowId, (r) => r.kind === 'wait' && r.status === 'failed');
    await untilJournaled(db, handle.workflowId, (r) => r.kind === 'sleep');
    await handle.signal('approve', 'yes'); // buffered: the timed-out waiter cannot take it
    expect(await handle.result()).toEqual({ first: 'timed out after 300 ms', second: 'yes' });
  }, 30_000);

  it('waitFor with a timeout returns the signal when it comes in time', async () => {
    const handle = await mf.workflow.start({ taskQueue: 'races', workflowName: 'approvalInTime' });
    await untilWaiting(await engine(), handle.workflowId, 'approve');
    await handle.signal('approve', { ok: 1 });
    expect(await handle.result()).toEqual({ ok: 1 });
  }, 30_000);

  it('an uncaught wait timeout fails the workflow at once with code 596', async () => {
    const handle = await mf.workflow.start({ taskQueue: 'races', workflowName: 'uncaughtTimeout' });
    await expect(handle.result()).rejects.toMatchObject({ code: 596, type: 'WaitTimeoutError', message: "waitFor('never') timed out after 200 ms" });
  }, 30_000);
});
