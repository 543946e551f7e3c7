/**
 * continueAsNew (issue 12, long-lived threads): a loop that starts its thread over keeps a journal
 * of one run, on the same job, with its context carried over; what a run left pending (a signal
 * wait, a timer) goes with it; arguments that cannot be stored fail the workflow before anything
 * ends.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemFlow, type MemFlowInstance } from '../src/index.js';
import { eventually, testConnection, uniqueAppId } from './support/backend.js';

const executions: Record<string, number[]> = {};
const keys: string[] = [];

const acts = MemFlow.workflow.proxyActivities({
  activities: {
    async key() {
      return { idempotencyKey: MemFlow.activity.getContext().idempotencyKey };
    },
    async think(jobId: string, round: number) {
      (executions[jobId] ??= []).push(round);
      return round * 10;
    },
  },
});

export async function agentLoop(round: number, rounds: number): Promise<{ round: number; rounds: number; thoughts: number }> {
  const { workflowId } = MemFlow.workflow.getContext();
  const ctx = await MemFlow.workflow.context();
  const thought = await acts.think(workflowId, round);
  const thoughts = await ctx.increment('thoughts', thought);
  await MemFlow.workflow.sleepFor('10 ms');
  if (round < rounds) await MemFlow.workflow.continueAsNew(round + 1, rounds);
  return { round, rounds, thoughts };
}

export async function slowChild(): Promise<string> {
  await MemFlow.workflow.sleepFor('600 ms');
  return 'late';
}

/** Run 1 leaves a child, a signal wait (both lost to a timer) and a long timer behind; run 2 waits for 'go'. */
export async function leavesWaitsBehind(run: number): Promise<string> {
  if (run === 1) {
    const { workflowId } = MemFlow.workflow.getContext();
    const child = MemFlow.workflow.execChild<string>({ taskQueue: 'loop', workflowName: 'slowChild', workflowId: `${workflowId}-child` });
    await Promise.race([child, MemFlow.workflow.waitFor('stale'), MemFlow.workflow.sleepFor('50 ms')]);
    void MemFlow.workflow.sleepFor('1 hour');
    await MemFlow.workflow.continueAsNew(2);
  }
  const go = await MemFlow.workflow.waitFor<string>('go');
  return `run ${run}: ${go}`;
}

/**
 * Run 0 starts a child it never awaits and starts over 50 ms later; run 1 waits for 'x'. The child
 * finishes within those 50 ms, so it is still marked awaited when the run's journal is dropped (a
 * child still running at continueAsNew is detached by continue_thread and never showed the bug).
 */
export async function leavesChildUnawaited(run: number): Promise<string> {
  if (run === 0) {
    const { workflowId } = MemFlow.workflow.getContext();
    void MemFlow.workflow.execChild({ taskQueue: 'loop', workflowName: 'kid', args: [1], workflowId: `${workflowId}-left` });
    await MemFlow.workflow.sleepFor('50 ms');
    await MemFlow.workflow.continueAsNew(1);
  }
  return MemFlow.workflow.waitFor<string>('x');
}

export async function kid(round: number): Promise<number> {
  return round * 100;
}

/** Each round awaits a child with the default (position-derived) id, then starts over. */
export async function childEachRound(round: number, rounds: number, total: number): Promise<number> {
  const got = await MemFlow.workflow.execChild<number>({ taskQueue: 'loop', workflowName: 'kid', args: [round] });
  const { idempotencyKey } = await acts.key();
  keys.push(idempotencyKey);
  if (round < rounds) await MemFlow.workflow.continueAsNew(round + 1, rounds, total + got);
  return total + got;
}

/** Round 1 catches the cancellation and starts over; round 2 must not be cancelled again. */
export async function cancelledOnce(round: number): Promise<string> {
  if (round === 1) {
    try {
      await MemFlow.workflow.waitFor('never');
    } catch (err) {
      if (!(err instanceof MemFlow.Errors.CancelledError)) throw err;
      await MemFlow.workflow.continueAsNew(2);
    }
  }
  await MemFlow.workflow.sleepFor('200 ms');
  return `round ${round} slept`;
}

export async function continuesWithBadArgs(): Promise<void> {
  await MemFlow.workflow.continueAsNew(10n);
}

describe('continueAsNew', () => {
  let mf: MemFlowInstance;
  beforeAll(async () => {
    mf = await MemFlow.init({ appId: uniqueAppId('continue'), engine: { connection: testConnection() }, logLevel: 'silent' });
    for (const workflow of [agentLoop, leavesWaitsBehind, slowChild, continuesWithBadArgs, kid, childEachRound, cancelledOnce, leavesChildUnawaited]) await mf.worker.create({ taskQueue: 'loop', workflow });
  });
  afterAll(() => mf.shutdown());

  it('starts the thread over with new arguments: one run in the journal, the context carried over, each round run once', async () => {
    const handle = await mf.workflow.start({ taskQueue: 'loop', workflowName: 'agentLoop', args: [1, 12] });
    expect(await handle.result()).toEqual({ round: 12, rounds: 12, thoughts: 780 }); // 10 + 20 + … + 120
    expect(executions[handle.workflowId]).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(await (await mf.workflow.context(handle.workflowId)).get('thoughts')).toBe(780);

    const engine = await mf.client.engine(mf.appId);
    const s = engine.sqlSchema;
    const journal = await engine.driver.query<{ kind: string }>(`SELECT kind FROM ${s}.journal WHERE job_id = $1 AND thread = 'main' ORDER BY seq`, [handle.workflowId]);
    expect(journal.rows.map((r) => r.kind), 'the journal of the last run only').toEqual(['activity', 'context', 'sleep']);
    const thread = await engine.driver.query<{ runs: number; args: unknown }>(`SELECT runs, args FROM ${s}.threads WHERE job_id = $1 AND thread = 'main'`, [handle.workflowId]);
    expect(thread.rows[0]).toEqual({ runs: 12, args: [12, 12] });
  });

  it('drops what the ended run left pending: its signal wait, its timer, the delivery of its child', async () => {
    const handle = await mf.workflow.start({ taskQueue: 'loop', workflowName: 'leavesWaitsBehind', args: [1] });
    const engine = await mf.client.engine(mf.appId);
    const s = engine.sqlSchema;
    const waits = async () =>
      (await engine.driver.query<{ signal_id: string }>(`SELECT signal_id FROM ${s}.waiters WHERE job_id = $1 ORDER BY signal_id`, [handle.workflowId])).rows.map((r) => r.signal_id);
    await eventually(async () => (await waits()).includes('go'));
    expect(await waits(), 'run 1 waited for stale; run 2 only for go').toEqual(['go']);
    const timers = await engine.driver.query(`SELECT seq FROM ${s}.journal WHERE job_id = $1 AND kind = 'sleep'`, [handle.workflowId]);
    expect(timers.rowCount, "run 1's timers").toBe(0);
    // the child finishes on its own; its result does not land in run 2's journal
    const child = await mf.workflow.getHandle('loop', 'slowChild', `${handle.workflowId}-child`);
    // the child's end and its delivery to an awaiting parent commit in one statement (finish_thread)
    expect(await child.result()).toBe('late');
    const rows = await engine.driver.query<{ kind: string }>(`SELECT kind FROM ${s}.journal WHERE job_id = $1 AND thread = 'main'`, [handle.workflowId]);
    expect(rows.rows.map((r) => r.kind), 'run 2 journaled nothing yet (it waits for go)').toEqual([]);
    await handle.signal('go', 'now');
    expect(await handle.result()).toBe('run 2: now');
  });

  it("describe() lists what the current run waits for: not an earlier run's child (a black-box pass)", async () => {
    const handle = await mf.workflow.start({ taskQueue: 'loop', workflowName: 'leavesChildUnawaited', args: [0] });
    await eventually(async () => (await handle.describe()).waitingFor.signals.some((w) => w.signalId === 'x'));
    expect(await (await mf.workflow.getHandle('loop', 'kid', `${handle.workflowId}-left`)).result()).toBe(100);
    expect((await handle.describe()).waitingFor.children).toEqual([]);
    await handle.signal('x', 'done');
    expect(await handle.result()).toBe('done');
  });

  it('counts calls on across runs: position-derived ids (children, idempotency keys) stay unique', async () => {
    keys.length = 0;
    const handle = await mf.workflow.start({ taskQueue: 'loop', workflowName: 'childEachRound', args: [1, 3, 0] });
    expect(await handle.result()).toBe(600); // 100 + 200 + 300: each round's child ran, none was mistaken for an earlier one
    expect(new Set(keys).size, `idempotency keys ${keys.join(', ')}`).toBe(3);
    const history = await handle.export();
    expect((history.history as { seqBase?: number }).seqBase).toBeGreaterThan(0);
  });

  it('a cancellation caught by one run is spent: the next run is not cancelled again', async () => {
    const handle = await mf.workflow.start({ taskQueue: 'loop', workflowName: 'cancelledOnce', args: [1] });
    const engine = await mf.client.engine(mf.appId);
    await eventually(async () => (await engine.driver.query(`SELECT 1 FROM ${engine.sqlSchema}.waiters WHERE job_id = $1`, [handle.workflowId])).rowCount === 1);
    await handle.cancel({ reason: 'once' });
    expect(await handle.result()).toBe('round 2 slept');
  });

  it('refuses arguments that cannot be stored: the workflow fails, naming them', async () => {
    const handle = await mf.workflow.start({ taskQueue: 'loop', workflowName: 'continuesWithBadArgs' });
    const failure = await handle.result({ throwOnError: false });
    expect(String((failure as Error).message)).toMatch(/continueAsNew arguments/);
  });
});
