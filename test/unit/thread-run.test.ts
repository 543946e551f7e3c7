/**
 * The replay core's rules one at a time (src/replay/thread-run.ts), with a scripted port and no
 * database: what runs when, in which delivery batch each result lands, what a replay executes (nothing
 * recorded), how a run ends (completed, failed, suspended with its timers and next due time, parked on
 * non-determinism, aborted), patches, fire-and-forget calls, and results from outside. The property
 * test in src/replay/thread-run.test.ts checks replay equivalence over random programs; these pin the
 * individual decisions it relies on.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { StoredFailure } from '../../src/errors.js';
import { type CallKind, type CallRequest, FIRE_AND_FORGET, describeCall, type IssuedCall } from '../../src/replay/durable-call.js';
import { type CallOutcome, isDeliverable, type JournalEntry } from '../../src/replay/journal-entry.js';
import { type Completion, type DueTimer, type RunOutcome, type RunPort, ThreadRun } from '../../src/replay/thread-run.js';

type Handler = (call: IssuedCall, previous: JournalEntry | undefined) => CallOutcome | Promise<CallOutcome>;

const done = (value: unknown): CallOutcome => ({ type: 'done', value });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A port whose answers the test scripts; it records every execution, write and stamp. */
class ScriptedPort implements RunPort {
  executed: Array<{ seq: number; kind: string; name: string; previous?: JournalEntry }> = [];
  /** seq -> the batch its result was written in */
  written = new Map<number, number>();
  stamps: Array<{ batch: number; seqs: number[]; timers: DueTimer[] }> = [];
  /** Executions that asked for their batch after the run had ended. */
  late: number[] = [];
  polls: number[][] = [];
  poll?: (seqs: number[]) => Promise<JournalEntry[]>;
  clockOffset = 0;

  constructor(private readonly handler: Handler = (call) => done(`${call.kind}:${call.name}`)) {}

  now(): number {
    return Date.now() + this.clockOffset;
  }

  async execute(call: IssuedCall, batch: () => number, previous: JournalEntry | undefined): Promise<CallOutcome> {
    this.executed.push({ seq: call.seq, kind: call.kind, name: call.name, ...(previous ? { previous } : {}) });
    const outcome = await this.handler(call, previous);
    if (outcome.type !== 'blocked') {
      try {
        this.written.set(call.seq, batch());
      } catch (err) {
        this.late.push(call.seq);
        throw err;
      }
    }
    return outcome;
  }

  async stamp(batch: number, seqs: number[], timers: DueTimer[]): Promise<void> {
    this.stamps.push({ batch, seqs: [...seqs], timers: timers.map((t) => ({ ...t })) });
  }

  withPoll(poll: (seqs: number[]) => Promise<JournalEntry[]>): this {
    this.poll = async (seqs) => {
      this.polls.push([...seqs]);
      return poll(seqs);
    };
    return this;
  }
}

function entry(seq: number, kind: string, name: string, batch: number | null, extra: Partial<JournalEntry> = {}): JournalEntry {
  return { seq, kind, name, status: 'done', value: `${kind}:${name}`, attempt: 1, batch, dueAt: null, ...extra };
}

function runOf(journal: JournalEntry[], port: RunPort): ThreadRun {
  return new ThreadRun(journal, port, { jobId: 'job-1', thread: 'main' });
}

const act = (name: string): CallRequest => ({ kind: 'activity', name, input: { args: [] } });
const napFor = (name: string, value: unknown = 1): CallRequest => ({ kind: 'sleep', name, input: { ms: 10, value: value as number } });
const valueOf = (c: Completion) => (c.ok ? c.value : c.error);

function expectCompleted(outcome: RunOutcome, value: unknown): void {
  if (outcome.type === 'nondeterminism' || outcome.type === 'aborted') throw outcome.error;
  expect(outcome).toEqual({ type: 'completed', value });
}

describe('ThreadRun: new ground', () => {
  it('runs sequential calls one batch each, and completes with the return value', async () => {
    const port = new ScriptedPort();
    const run = runOf([], port);
    const outcome = await run.run(async () => {
      const a = await run.call(act('a'));
      const b = await run.call(act('b'));
      return [valueOf(a), valueOf(b), run.counter];
    });
    expectCompleted(outcome, ['activity:a', 'activity:b', 2]);
    expect(port.executed.map((e) => e.seq)).toEqual([1, 2]);
    expect([...port.written]).toEqual([[1, 1], [2, 2]]);
    expect([...run.journal().values()].map((e) => [e.seq, e.batch, e.status, e.attempt, e.value])).toEqual([
      [1, 1, 'done', 1, 'activity:a'],
      [2, 2, 'done', 1, 'activity:b'],
    ]);
  });

  it('runs the calls of one wave together and hands them back in one batch, in seq order', async () => {
    const delays: Record<string, number> = { a: 30, b: 0, c: 10 };
    const port = new ScriptedPort(async (call) => {
      await sleep(delays[call.name]!);
      return done(call.name);
    });
    const run = runOf([], port);
    const order: string[] = [];
    const outcome = await run.run(() =>
      Promise.all(['a', 'b', 'c'].map(async (n) => {
        const c = await run.call(act(n));
        order.push(String(valueOf(c)));
        return valueOf(c);
      })),
    );
    expectCompleted(outcome, ['a', 'b', 'c']);
    expect(order).toEqual(['a', 'b', 'c']); // delivered together, in seq order, not in finishing order
    expect([...port.written.values()]).toEqual([1, 1, 1]);
  });

  it('delivers a failed call as a failed completion', async () => {
    const failure: StoredFailure = { message: 'no', code: 598 };
    const port = new ScriptedPort(() => ({ type: 'failed', error: failure }));
    const run = runOf([], port);
    const outcome = await run.run(async () => run.call(act('x')));
    expectCompleted(outcome, { ok: false, error: failure });
    expect(run.journal().get(1)).toMatchObject({ status: 'failed', error: failure, batch: 1, attempt: 1 });
  });

  it('takeSeq() takes a seq without a journal row; the next call takes the one after', async () => {
    const port = new ScriptedPort();
    const run = runOf([], port);
    const outcome = await run.run(async () => {
      expect(run.takeSeq()).toBe(1);
      expect(run.takeSeq()).toBe(2);
      await run.call(act('a'));
      return run.counter;
    });
    expectCompleted(outcome, 3);
    expect(port.executed.map((e) => e.seq)).toEqual([3]);
    expect([...run.journal().keys()]).toEqual([3]);
  });

  it('waits for ordinary async code between durable calls instead of suspending', async () => {
    const port = new ScriptedPort();
    const run = runOf([], port);
    const outcome = await run.run(async () => {
      await run.call(act('a'));
      await sleep(300); // a plain timer (a fetch, ...): not durable
      await run.call(act('b'));
      await sleep(10);
      return 'end';
    });
    expectCompleted(outcome, 'end');
    expect(port.executed.map((e) => e.name)).toEqual(['a', 'b']);
  });

  describe('a function stuck in ordinary async code', () => {
    afterEach(() => {
      vi.useRealTimers();
    });
    const turns = async (n: number) => {
      for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
    };

    it('gives the worker slot back (suspends) after 10 minutes without a durable call', async () => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      const run = runOf([entry(1, 'activity', 'a', 1)], new ScriptedPort());
      let outcome: RunOutcome | undefined;
      void run
        .run(async () => {
          await run.call(act('a'));
          await new Promise(() => {}); // never settles, never calls anything durable
        })
        .then((o) => (outcome = o));
      await turns(20);
      await vi.advanceTimersByTimeAsync(10 * 60 * 1000 - 1);
      await turns(20);
      expect(outcome).toBeUndefined();
      await vi.advanceTimersByTimeAsync(1);
      await turns(20);
      expect(outcome).toEqual({ type: 'suspended', timers: [], nextDueAt: null });
    });
  });
});

describe('ThreadRun: how a run ends', () => {
  it('failed: the function threw; progressed tells whether this run produced a result', async () => {
    const boom = new Error('boom');
    const port = new ScriptedPort();
    const run = runOf([], port);
    expect(await run.run(async () => {
      await run.call(act('a'));
      throw boom;
    })).toEqual({ type: 'failed', error: boom, progressed: true });

    const replayOnly = runOf([entry(1, 'activity', 'a', 1)], new ScriptedPort());
    expect(await replayOnly.run(async () => {
      await replayOnly.call(act('a'));
      throw boom;
    })).toEqual({ type: 'failed', error: boom, progressed: false });

    const failedCall = new ScriptedPort(() => ({ type: 'failed', error: { message: 'x' } }));
    const onlyFailures = runOf([], failedCall);
    expect(await onlyFailures.run(async () => {
      await onlyFailures.call(act('a'));
      throw boom;
    })).toEqual({ type: 'failed', error: boom, progressed: false });
  });

  it('aborted: the port threw (lease lost, database down); nothing after it runs', async () => {
    const down = new Error('database down');
    const port = new ScriptedPort((call) => {
      if (call.name === 'b') throw down;
      return done(call.name);
    });
    const run = runOf([], port);
    const outcome = await run.run(async () => {
      await run.call(act('a'));
      await run.call(act('b'));
      await run.call(act('c'));
    });
    expect(outcome).toEqual({ type: 'aborted', error: down });
    expect(port.executed.map((e) => e.name)).toEqual(['a', 'b']);
  });

  it('abort(): the run returns at once while an inline activity still runs, and before it if called first', async () => {
    const lost = new Error('lease lost');
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    const port = new ScriptedPort(async () => {
      started();
      return new Promise<never>(() => {}); // an activity that never finishes
    });
    const run = runOf([], port);
    const outcome = run.run(async () => {
      await run.call(act('a'));
      await run.call(act('b'));
    });
    await running;
    run.abort(lost);
    expect(await outcome).toEqual({ type: 'aborted', error: lost });
    expect(port.executed.map((e) => e.name)).toEqual(['a']);

    // aborted before its first batch: nothing is executed
    const early = new ScriptedPort();
    const stopped = runOf([], early);
    stopped.abort(lost);
    expect(await stopped.run(async () => stopped.call(act('a')))).toEqual({ type: 'aborted', error: lost });
    expect(early.executed).toEqual([]);
  });

  it('aborted: a stamp that fails aborts the run', async () => {
    const port = new ScriptedPort((call) => (call.kind === 'sleep' ? { type: 'blocked', dueAt: Date.now() - 1 } : done(1)));
    port.stamp = async () => {
      throw new Error('stamp failed');
    };
    const run = runOf([], port);
    const outcome = await run.run(async () => run.call(napFor('1s')));
    expect(outcome.type).toBe('aborted');
  });

  it('suspended: only blocked calls remain; the timers to persist and the next due time', async () => {
    const now = Date.now();
    const port = new ScriptedPort((call) => {
      if (call.kind === 'sleep') return { type: 'blocked', dueAt: now + 60_000 };
      if (call.kind === 'wait') return { type: 'blocked', recheckAt: now + 90_000 };
      return { type: 'blocked' }; // a child: its wake-up brings the thread back
    });
    const run = runOf([], port);
    const outcome = await run.run(() =>
      Promise.all([run.call(napFor('1 minute', 60)), run.call({ kind: 'wait', name: 'go', input: {} }), run.call({ kind: 'child', name: 'kid', input: {} as never })]),
    );
    expect(outcome.type).toBe('suspended');
    if (outcome.type !== 'suspended') return;
    expect(outcome.timers).toHaveLength(1);
    expect(outcome.timers[0]).toMatchObject({ seq: 1, name: '1 minute', value: 60 });
    expect(outcome.timers[0]!.remainingMs).toBeGreaterThan(59_000);
    expect(outcome.timers[0]!.remainingMs).toBeLessThanOrEqual(60_000);
    expect(outcome.nextDueAt).toBe(now + 90_000);
  });

  it('suspended: the earliest of deadlines and retry due times is the next due time', async () => {
    const now = Date.now();
    const port = new ScriptedPort((call) => {
      if (call.name === 'late') return { type: 'blocked', recheckAt: now + 50_000 };
      if (call.name === 'soon') return { type: 'blocked', recheckAt: now + 40_000 };
      return { type: 'blocked', attempt: 1, dueAt: now + 45_000 }; // an activity in backoff
    });
    const run = runOf([], port);
    const outcome = await run.run(() =>
      Promise.all([run.call({ kind: 'wait', name: 'late', input: {} }), run.call(act('flaky')), run.call({ kind: 'wait', name: 'soon', input: {} })]),
    );
    expect(outcome).toEqual({ type: 'suspended', timers: [], nextDueAt: now + 40_000 });

    const retryFirst = runOf([], new ScriptedPort((call) => (call.kind === 'wait' ? { type: 'blocked', recheckAt: now + 50_000 } : { type: 'blocked', attempt: 2, dueAt: now + 30_000 })));
    expect(await retryFirst.run(() => Promise.all([retryFirst.call({ kind: 'wait', name: 'w', input: {} }), retryFirst.call(act('flaky'))]))).toEqual({
      type: 'suspended',
      timers: [],
      nextDueAt: now + 30_000,
    });
    expect(retryFirst.journal().get(2)).toMatchObject({ status: 'retry', attempt: 2, batch: null, dueAt: now + 30_000 });
  });

  it('suspended: the next due time is the minimum whatever the order of the calls', async () => {
    const now = Date.now();
    const due: Record<string, CallOutcome> = {
      soon: { type: 'blocked', recheckAt: now + 40_000 },
      late: { type: 'blocked', recheckAt: now + 50_000 },
      r45: { type: 'blocked', attempt: 1, dueAt: now + 45_000 },
      r60: { type: 'blocked', attempt: 1, dueAt: now + 60_000 },
    };
    const run = runOf([entry(5, 'activity', 'rnull', null, { status: 'retry', dueAt: null })], new ScriptedPort((call) => due[call.name]!));
    const outcome = await run.run(() =>
      Promise.all([
        run.call({ kind: 'wait', name: 'soon', input: {} }),
        run.call({ kind: 'wait', name: 'late', input: {} }),
        run.call(act('r45')),
        run.call(act('r60')),
        run.call(act('rnull')),
      ]),
    );
    expect(outcome).toEqual({ type: 'suspended', timers: [], nextDueAt: now + 40_000 });
  });

  it('suspended with nothing due: a call blocked on the outside holds no due time', async () => {
    const run = runOf([], new ScriptedPort(() => ({ type: 'blocked' })));
    expect(await run.run(async () => run.call({ kind: 'wait', name: 'forever', input: {} }))).toEqual({ type: 'suspended', timers: [], nextDueAt: null });
  });

  it('a call issued after the run ended never settles and is never executed', async () => {
    const port = new ScriptedPort(() => ({ type: 'blocked' }));
    const run = runOf([], port);
    let settled = false;
    await run.run(async () => run.call({ kind: 'wait', name: 'w', input: {} }));
    void run.call(act('after')).then(() => (settled = true));
    await sleep(20);
    expect(settled).toBe(false);
    expect(port.executed.map((e) => e.name)).toEqual(['w']);
  });
});

describe('ThreadRun: replay', () => {
  it('hands back recorded batches without executing anything, then runs new ground', async () => {
    const port = new ScriptedPort();
    const journal = [entry(1, 'activity', 'a', 1, { value: 'A' }), entry(2, 'activity', 'b', 2, { value: 'B' })];
    const run = runOf(journal, port);
    const seen: Array<[unknown, boolean]> = [];
    expect(run.replaying).toBe(true);
    const outcome = await run.run(async () => {
      seen.push([valueOf(await run.call(act('a'))), run.replaying]);
      seen.push([valueOf(await run.call(act('b'))), run.replaying]);
      seen.push([valueOf(await run.call(act('c'))), run.replaying]);
      return 'end';
    });
    expectCompleted(outcome, 'end');
    expect(seen).toEqual([['A', true], ['B', false], ['activity:c', false]]);
    expect(port.executed.map((e) => e.name)).toEqual(['c']);
    expect(port.written.get(3)).toBe(3); // the batch after the recorded ones
  });

  it('replays as many batches as the highest recorded one, whatever the seq order', async () => {
    // b (seq 2) came back in batch 1, a (seq 1) in batch 2
    const run = runOf([entry(1, 'activity', 'a', 2), entry(2, 'activity', 'b', 1)], new ScriptedPort());
    const outcome = await run.run(() => Promise.all([run.call(act('a')).then(() => run.replaying), run.call(act('b')).then(() => run.replaying)]));
    expectCompleted(outcome, [false, true]);
  });

  it('counts recorded batches from the journal, ignoring undelivered rows', async () => {
    const run = runOf([entry(1, 'activity', 'a', 2), entry(2, 'wait', 'w', null)], new ScriptedPort());
    expect(run.replaying).toBe(true);
    const none = runOf([entry(1, 'wait', 'w', null)], new ScriptedPort());
    expect(none.replaying).toBe(false);
  });

  it('delivers the recorded interleaving of parallel branches', async () => {
    // b1 (seq 2) came back before a1 (seq 1), so branch B's second call took seq 3 and A's seq 4
    const journal = [entry(1, 'activity', 'a1', 2), entry(2, 'activity', 'b1', 1), entry(3, 'activity', 'b2', 3), entry(4, 'activity', 'a2', 3)];
    const port = new ScriptedPort();
    const run = runOf(journal, port);
    const outcome = await run.run(async () => {
      const branchA = (async () => [(await run.call(act('a1'))).ok, (await run.call(act('a2'))).ok])();
      const branchB = (async () => {
        await run.call(act('b1'));
        return valueOf(await run.call(act('b2')));
      })();
      return Promise.all([branchA, branchB]);
    });
    expectCompleted(outcome, [[true, true], 'activity:b2']);
    expect(port.executed).toEqual([]);
  });

  it('a failed entry revives as a failed completion; one without its error says so', async () => {
    const failure: StoredFailure = { message: 'declined', code: 598 };
    const run = runOf([entry(1, 'activity', 'a', 1, { status: 'failed', error: failure }), entry(2, 'activity', 'b', 2, { status: 'failed', error: undefined })], new ScriptedPort());
    const outcome = await run.run(async () => [await run.call(act('a')), await run.call(act('b'))]);
    expectCompleted(outcome, [{ ok: false, error: failure }, { ok: false, error: { message: 'unknown failure' } }]);
  });

  it('a journaled void result replays as undefined', async () => {
    const run = runOf([entry(1, 'activity', 'a', 1, { value: undefined })], new ScriptedPort());
    expectCompleted(await run.run(async () => run.call(act('a'))), { ok: true, value: undefined });
  });
});

describe('ThreadRun: non-determinism', () => {
  it('a call of another kind or name at a recorded seq parks the run, naming both', async () => {
    for (const [request, attempted] of [
      [act('refund'), "activity('refund')"],
      [{ kind: 'sleep', name: 'charge', input: { ms: 1, value: 1 } } as CallRequest, "sleep('charge')"],
    ] as const) {
      const port = new ScriptedPort();
      const run = runOf([entry(1, 'activity', 'charge', 1)], port);
      const outcome = await run.run(async () => run.call(request));
      expect(outcome.type).toBe('nondeterminism');
      if (outcome.type !== 'nondeterminism') return;
      expect(outcome.error).toMatchObject({ jobId: 'job-1', thread: 'main', seq: 1, recorded: "activity('charge')", attempted });
      expect(port.executed).toEqual([]);
    }
  });

  it('a recorded call the code no longer makes: "nothing" once its wait on other code ran out, "the function finished first" after', async () => {
    const journal = [entry(1, 'activity', 'a', 1), entry(2, 'activity', 'b', 2)];
    const waiting = runOf(journal, new ScriptedPort(() => ({ type: 'blocked' })));
    waiting.nonDurableWaitMs = 50; // a replay waits on ordinary async code as a live run does (10 minutes)
    const started = Date.now();
    const w = await waiting.run(async () => {
      await waiting.call(act('a'));
      await new Promise(() => {}); // waits on something that is not a durable call
    });
    expect(w.type).toBe('nondeterminism');
    if (w.type === 'nondeterminism') expect(w.error).toMatchObject({ seq: 2, recorded: "activity('b')", attempted: 'nothing' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);

    // ordinary async code that does come back: the replay goes on, no divergence
    const slow = runOf(journal, new ScriptedPort());
    const s = await slow.run(async () => {
      await slow.call(act('a'));
      await new Promise((resolve) => setTimeout(resolve, 20));
      return valueOf(await slow.call(act('b')));
    });
    expect(s.type).toBe('completed');

    const finished = runOf(journal, new ScriptedPort());
    const f = await finished.run(async () => finished.call(act('a')));
    expect(f.type).toBe('nondeterminism');
    if (f.type === 'nondeterminism') expect(f.error).toMatchObject({ seq: 2, attempted: 'the function finished first' });
  });

  it('stops issuing calls after a mismatch: later calls never settle and never run', async () => {
    const port = new ScriptedPort();
    const run = runOf([entry(1, 'activity', 'a', 1)], port);
    let later: Promise<Completion> | undefined;
    const outcome = await run.run(async () => {
      void run.call(act('other'));
      later = run.call(act('next'));
      return later;
    });
    expect(outcome.type).toBe('nondeterminism');
    expect(port.executed).toEqual([]);
    expect(run.counter).toBe(1); // the call after the mismatch took no seq
  });
});

describe('ThreadRun: patches', () => {
  it('patched() on new ground answers true and records the marker', async () => {
    const port = new ScriptedPort();
    const run = runOf([], port);
    const outcome = await run.run(async () => {
      const p = run.patched('v2');
      await run.call(act('new'));
      return p;
    });
    expectCompleted(outcome, true);
    expect(port.executed.map((e) => `${e.seq} ${e.kind} ${e.name}`)).toEqual(['1 patch v2', '2 activity new']);
  });

  it('patched() replaying a history with the marker answers true and runs nothing', async () => {
    const port = new ScriptedPort();
    const run = runOf([entry(1, 'patch', 'v2', 1), entry(2, 'activity', 'new', 1)], port);
    const outcome = await run.run(async () => {
      const p = run.patched('v2');
      await run.call(act('new'));
      return p;
    });
    expectCompleted(outcome, true);
    expect(port.executed).toEqual([]);
  });

  it('patched() replaying history from before the patch answers false and takes no seq', async () => {
    for (const journal of [
      [entry(1, 'activity', 'old', 1)], // another call where the marker would be
      [entry(1, 'patch', 'v1', 1)], // another patch's marker
    ]) {
      const port = new ScriptedPort();
      const run = runOf(journal, port);
      let answer: boolean | undefined;
      const outcome = await run.run(async () => {
        answer = run.patched('v2');
        return run.counter;
      });
      expect(answer).toBe(false);
      expect(outcome.type === 'completed' || outcome.type === 'nondeterminism').toBe(true);
      expect(port.executed).toEqual([]);
    }
  });

  it('patched() after replayed calls, on new ground, answers true', async () => {
    const port = new ScriptedPort();
    const run = runOf([entry(1, 'activity', 'a', 1)], port);
    let answer: boolean | undefined;
    expectCompleted(await run.run(async () => {
      await run.call(act('a'));
      answer = run.patched('v2');
      return run.counter;
    }), 2);
    expect(answer).toBe(true);
    expect(port.executed.map((e) => `${e.seq} ${e.kind} ${e.name}`)).toEqual(['2 patch v2']);
  });

  it('patched() meeting a call (not a marker) that happens to bear its name answers false', async () => {
    const run = runOf([entry(1, 'activity', 'v2', 1)], new ScriptedPort());
    let answer: boolean | undefined;
    expectCompleted(await run.run(async () => {
      answer = run.patched('v2');
      return valueOf(await run.call(act('v2')));
    }), 'activity:v2');
    expect(answer).toBe(false);
  });

  it('deprecatePatch() leaves another patch\'s marker for the patched() call that owns it', async () => {
    const run = runOf([entry(1, 'patch', 'v1', 1)], new ScriptedPort());
    expectCompleted(await run.run(async () => {
      run.deprecatePatch('v2');
      return run.patched('v1');
    }), true);
  });

  it('patched() with no row at its seq but rows after it is old history (answers false)', async () => {
    // seq 1 was a wait still pending when recorded (no row), seq 2 a hook start recorded
    const run = runOf([entry(2, 'hook', 'h', 1)], new ScriptedPort(() => ({ type: 'blocked' })));
    let answer: boolean | undefined;
    await run.run(async () => {
      answer = run.patched('v2');
      await Promise.all([run.call({ kind: 'wait', name: 'w', input: {} }), run.call({ kind: 'hook', name: 'h', input: {} as never })]);
    });
    expect(answer).toBe(false);
  });

  it('deprecatePatch() consumes a recorded marker, and records nothing on new ground', async () => {
    const replayed = new ScriptedPort();
    const run = runOf([entry(1, 'patch', 'v2', 1), entry(2, 'activity', 'new', 1)], replayed);
    expectCompleted(await run.run(async () => {
      run.deprecatePatch('v2');
      return valueOf(await run.call(act('new')));
    }), 'activity:new');

    const fresh = new ScriptedPort();
    const run2 = runOf([], fresh);
    expectCompleted(await run2.run(async () => {
      run2.deprecatePatch('v2');
      await run2.call(act('new'));
      return run2.counter;
    }), 1);
    expect(fresh.executed.map((e) => `${e.seq} ${e.kind}`)).toEqual(['1 activity']);

    // another patch's marker is not consumed: the call after it meets the marker
    const other = runOf([entry(1, 'patch', 'v1', 1)], new ScriptedPort());
    const outcome = await other.run(async () => {
      other.deprecatePatch('v2');
      return other.call(act('new'));
    });
    expect(outcome.type).toBe('nondeterminism');
  });
});

describe('ThreadRun: timers, retries, deadlines and results from outside', () => {
  it('a sleep that is due at once is delivered in the same run, stamped with its batch and value', async () => {
    const port = new ScriptedPort((call) => (call.kind === 'sleep' ? { type: 'blocked', dueAt: Date.now() - 5 } : done(call.name)));
    const run = runOf([], port);
    const outcome = await run.run(async () => {
      await run.call(act('a'));
      return valueOf(await run.call(napFor('0s', 42)));
    });
    expectCompleted(outcome, 42);
    expect(port.stamps).toEqual([{ batch: 2, seqs: [], timers: [{ seq: 2, name: '0s', value: 42 }] }]);
    expect(run.journal().get(2)).toEqual({ seq: 2, kind: 'sleep', name: '0s', status: 'done', value: 42, attempt: 1, batch: 2, dueAt: null });
  });

  it('a timer that comes due while an inline activity runs is delivered first, in its own batch', async () => {
    const port = new ScriptedPort(async (call) => {
      if (call.kind === 'sleep') return { type: 'blocked', dueAt: Date.now() + 30 };
      await sleep(300);
      return done(call.name);
    }).withPoll(async () => []);
    const run = runOf([], port);
    const order: string[] = [];
    const outcome = await run.run(() =>
      Promise.all([
        run.call(napFor('30ms', 'slept')).then((c) => order.push(String(valueOf(c)))),
        run.call(act('slow')).then((c) => order.push(String(valueOf(c)))),
      ]),
    );
    expect(outcome.type).toBe('completed');
    expect(order).toEqual(['slept', 'slow']);
    expect(port.stamps.map((s) => [s.batch, s.timers.map((t) => t.seq)])).toEqual([[1, [1]]]);
    expect(port.written.get(2)).toBe(2); // the activity finished after batch 1 closed: it journals into batch 2
    expect(port.polls).toEqual([]); // nothing waits on the outside: nothing to poll for
  });

  it('an activity in backoff runs its next attempt once due, with the previous entry', async () => {
    let attempts = 0;
    const port = new ScriptedPort(() => {
      attempts++;
      return attempts === 1 ? { type: 'blocked', attempt: 1, dueAt: Date.now() + 40 } : done('second');
    });
    const run = runOf([], port);
    const outcome = await run.run(async () => valueOf(await run.call(act('flaky'))));
    // alone, the run suspends until the retry is due
    expect(outcome.type).toBe('suspended');
    if (outcome.type === 'suspended') expect(outcome.nextDueAt).toBe(run.journal().get(1)!.dueAt);

    // the next run starts from the 'retry' row, and runs the attempt once it is due
    const retryRow = { ...run.journal().get(1)!, dueAt: Date.now() - 1 };
    const port2 = new ScriptedPort(() => done('second'));
    const run2 = runOf([retryRow], port2);
    expectCompleted(await run2.run(async () => valueOf(await run2.call(act('flaky')))), 'second');
    expect(port2.executed).toEqual([{ seq: 1, kind: 'activity', name: 'flaky', previous: retryRow }]);
    expect(run2.journal().get(1)).toMatchObject({ status: 'done', attempt: 2, batch: 1 });
  });

  it('the next attempt that fails for good is journaled as failed, one attempt later', async () => {
    const retryRow = entry(1, 'activity', 'flaky', null, { status: 'retry', attempt: 3, dueAt: Date.now() - 1, value: undefined });
    const port = new ScriptedPort(() => ({ type: 'failed', error: { message: 'gave up', code: 598 } }));
    const run = runOf([retryRow], port);
    expectCompleted(await run.run(async () => run.call(act('flaky'))), { ok: false, error: { message: 'gave up', code: 598 } });
    expect(run.journal().get(1)).toMatchObject({ status: 'failed', attempt: 4, batch: 1 });
  });

  it('a retry that is not due yet is not run again within the run', async () => {
    const port = new ScriptedPort();
    const run = runOf([entry(1, 'activity', 'flaky', null, { status: 'retry', attempt: 2, dueAt: Date.now() + 60_000 })], port);
    const outcome = await run.run(async () => run.call(act('flaky')));
    expect(outcome.type).toBe('suspended');
    expect(port.executed).toEqual([]);
  });

  it('a retry coming due while another activity runs is started then, in the same run', async () => {
    const port = new ScriptedPort(async (call) => {
      if (call.name === 'slow') await sleep(250);
      return done(call.name);
    });
    const run = runOf([entry(1, 'activity', 'flaky', null, { status: 'retry', attempt: 1, dueAt: Date.now() + 50 })], port);
    const outcome = await run.run(() => Promise.all([run.call(act('flaky')), run.call(act('slow'))]).then((cs) => cs.map(valueOf)));
    expectCompleted(outcome, ['flaky', 'slow']);
    expect(port.executed.map((e) => e.name)).toEqual(['slow', 'flaky']);
    expect([...port.written]).toEqual([[1, 1], [2, 1]]); // the retry woke the batch up in time to join it
  });

  it('a retry row without a due time is not run again', async () => {
    const port = new ScriptedPort();
    const run = runOf([entry(1, 'activity', 'flaky', null, { status: 'retry', attempt: 1, dueAt: null })], port);
    expect((await run.run(async () => run.call(act('flaky')))).type).toBe('suspended');
    expect(port.executed).toEqual([]);
  });

  it('a waitFor whose deadline passes is executed again then, once, while an activity still runs', async () => {
    const deadline = Date.now() + 40;
    const waits: number[] = [];
    const port = new ScriptedPort(async (call) => {
      if (call.kind === 'wait') {
        waits.push(Date.now());
        return Date.now() < deadline ? { type: 'blocked', recheckAt: deadline } : done('timed out');
      }
      await sleep(300);
      return done(call.name);
    });
    const run = runOf([], port);
    const outcome = await run.run(() => Promise.all([run.call({ kind: 'wait', name: 'approval', input: {} }), run.call(act('slow'))]).then((cs) => cs.map(valueOf)));
    expectCompleted(outcome, ['timed out', 'slow']);
    expect(waits).toHaveLength(2); // once, then once more when its deadline passed: never in a loop
    expect(waits[1]!).toBeGreaterThanOrEqual(deadline);
    // Both results land in one batch: the first when the deadline check and the clock agree to the
    // millisecond, else the second (batch 1 closed empty at the deadline). Either way, together.
    expect(port.written.get(1)).toBe(port.written.get(2));
  });

  it('a timer or a deadline that is far off does not close the batch under a running activity', async () => {
    const port = new ScriptedPort(async (call) => {
      if (call.kind === 'sleep') return { type: 'blocked', dueAt: Date.now() + 60_000 };
      if (call.kind === 'wait') return { type: 'blocked', recheckAt: Date.now() + 60_000 };
      await sleep(call.name === 'fast' ? 10 : 80);
      return done(call.name);
    });
    const run = runOf([], port);
    const outcome = await run.run(() =>
      Promise.all([run.call(napFor('1m')), run.call({ kind: 'wait', name: 'w', input: {} }), run.call(act('fast')), run.call(act('slow'))]),
    );
    expect(outcome.type).toBe('suspended');
    // 'fast' finishing is no reason to close the batch while 'slow' runs: both land in batch 1
    expect([...port.written]).toEqual([[3, 1], [4, 1]]);
    expect(port.stamps).toEqual([]);
  });

  it('results that arrive from outside while an activity runs are polled for, stamped and delivered first', async () => {
    const port = new ScriptedPort(async (call) => {
      if (call.kind === 'child') return { type: 'blocked' };
      await sleep(700);
      return done(call.name);
    });
    let polls = 0;
    port.withPoll(async (seqs) => {
      polls++;
      // the child's result exists from the second poll on; rows for other seqs are ignored
      return polls < 2 ? [] : [entry(1, 'child', 'kid', null, { value: 'grown' }), entry(9, 'child', 'stray', null)];
    });
    const run = runOf([], port);
    const order: string[] = [];
    const outcome = await run.run(() =>
      Promise.all([
        run.call({ kind: 'child', name: 'kid', input: {} as never }).then((c) => order.push(String(valueOf(c)))),
        run.call(act('slow')).then((c) => order.push(String(valueOf(c)))),
      ]),
    );
    expect(outcome.type).toBe('completed');
    expect(order).toEqual(['grown', 'slow']);
    expect(port.polls.length).toBeGreaterThanOrEqual(2);
    for (const seqs of port.polls) expect(seqs).toEqual([1]); // only the call blocked on the outside is asked for
    expect(port.written.get(2)).toBe(2); // the activity finished after the child's batch closed
    expect(port.stamps[0]).toEqual({ batch: 1, seqs: [1], timers: [] });
    expect(run.journal().has(9)).toBe(false);
    expect(run.journal().get(1)).toMatchObject({ batch: 1, value: 'grown' });
  });

  it('a result from outside found in the journal at the start is stamped into the first live batch', async () => {
    const port = new ScriptedPort(() => ({ type: 'blocked' }));
    const run = runOf([entry(1, 'activity', 'a', 1), entry(2, 'wait', 'go', null, { value: 'signal data' })], port);
    const outcome = await run.run(async () => {
      await run.call(act('a'));
      return valueOf(await run.call({ kind: 'wait', name: 'go', input: {} }));
    });
    expectCompleted(outcome, 'signal data');
    expect(port.stamps).toEqual([{ batch: 2, seqs: [2], timers: [] }]);
    expect(port.executed).toEqual([]);
  });

  it('a timer row that came due while nothing ran is delivered, not executed again', async () => {
    const port = new ScriptedPort(() => ({ type: 'blocked', dueAt: Date.now() + 60_000 }));
    const run = runOf([entry(1, 'sleep', '1m', null, { value: 60, dueAt: Date.now() - 1000 })], port);
    expectCompleted(await run.run(async () => valueOf(await run.call(napFor('1m', 60)))), 60);
    expect(port.executed).toEqual([]);
    expect(port.stamps).toEqual([{ batch: 1, seqs: [1], timers: [] }]);
  });

  it('results of one batch are handed back in seq order, outside results included', async () => {
    const port = new ScriptedPort(async (call) => done(call.name));
    const run = runOf([entry(1, 'wait', 'go', null, { value: 'signal' })], port);
    const order: unknown[] = [];
    const outcome = await run.run(() =>
      Promise.all([
        run.call({ kind: 'wait', name: 'go', input: {} }).then((c) => order.push(valueOf(c))),
        run.call(act('a')).then((c) => order.push(valueOf(c))),
      ]),
    );
    expect(outcome.type).toBe('completed');
    expect(order).toEqual(['signal', 'a']);
    expect(port.stamps).toEqual([{ batch: 1, seqs: [1], timers: [] }]);
    expect(port.written.get(2)).toBe(1);
  });

  it('a timer or a successful result from outside counts as progress; a failed one does not', async () => {
    const boom = new Error('boom');
    const timerPort = new ScriptedPort(() => ({ type: 'blocked', dueAt: Date.now() - 1 }));
    const byTimer = runOf([], timerPort);
    expect(await byTimer.run(async () => {
      await byTimer.call(napFor('0s'));
      throw boom;
    })).toEqual({ type: 'failed', error: boom, progressed: true });

    const external = (status: 'done' | 'failed') => {
      const run = runOf([entry(1, 'child', 'kid', null, { status, error: status === 'failed' ? { message: 'no' } : undefined })], new ScriptedPort());
      return run.run(async () => {
        await run.call({ kind: 'child', name: 'kid', input: {} as never });
        throw boom;
      });
    };
    expect(await external('done')).toEqual({ type: 'failed', error: boom, progressed: true });
    expect(await external('failed')).toEqual({ type: 'failed', error: boom, progressed: false });
  });

  it('an execution that is writing when the batch closes early lands in that batch; one asking later, in the next', async () => {
    const port = new ScriptedPort(async (call) => {
      if (call.kind === 'sleep') return { type: 'blocked', dueAt: Date.now() + 40 };
      await sleep(call.name === 'a' ? 10 : 60);
      return done(call.name);
    });
    // a's write (after it asked for its batch) takes 100 ms: the timer comes due during it, and b asks
    // for its batch (after the close) and finishes before a's write ends
    const execute = port.execute.bind(port);
    port.execute = async (call, batch, previous) =>
      execute(call, () => batch(), previous).then(async (outcome) => {
        if (call.name === 'a') await sleep(100);
        return outcome;
      });
    const run = runOf([], port);
    const outcome = await run.run(() =>
      Promise.all([run.call(napFor('40ms', 'slept')), run.call(act('a')), run.call(act('b'))]).then((cs) => cs.map(valueOf)),
    );
    expectCompleted(outcome, ['slept', 'a', 'b']);
    expect(Object.fromEntries(port.written)).toEqual({ 2: 1, 3: 2 });
    expect(run.journal().get(2)!.batch).toBe(1);
    expect(run.journal().get(3)!.batch).toBe(2);
    // b is this run's own result for batch 2, not a result from outside to stamp into batch 1
    expect(port.stamps).toEqual([{ batch: 1, seqs: [], timers: [{ seq: 1, name: '40ms', value: 'slept' }] }]);
  });

  it('an execution that asks for its batch while the previous one is being stamped gets the next one', async () => {
    const port = new ScriptedPort(async (call) => {
      if (call.kind === 'sleep') return { type: 'blocked', dueAt: Date.now() + 20 };
      await sleep(60);
      return done(call.name);
    });
    const stamp = port.stamp.bind(port);
    port.stamp = async (batch, seqs, timers) => {
      await sleep(120); // the activity asks for its batch in the meantime
      return stamp(batch, seqs, timers);
    };
    const run = runOf([], port);
    const outcome = await run.run(() => Promise.all([run.call(napFor('20ms')), run.call(act('a'))]).then((cs) => cs.map(valueOf)));
    expectCompleted(outcome, [1, 'a']);
    expect(port.stamps.map((s) => s.batch)).toEqual([1]);
    expect(port.written.get(2)).toBe(2);
  });

  it('a result from outside that is not deliverable yet (due later) is not stamped', async () => {
    const port = new ScriptedPort(() => ({ type: 'blocked' }));
    const run = runOf([entry(1, 'sleep', '1m', null, { value: 60, dueAt: Date.now() + 60_000 })], port);
    const outcome = await run.run(async () => run.call(napFor('1m', 60)));
    expect(outcome.type).toBe('suspended');
    expect(port.stamps).toEqual([]);
    if (outcome.type === 'suspended') expect(outcome.nextDueAt).toBe(run.journal().get(1)!.dueAt);
  });
});

describe('ThreadRun: settling', () => {
  it('fire-and-forget calls the function did not await still happen; others do not', async () => {
    const kinds = Object.keys(FIRE_AND_FORGET) as CallKind[];
    for (const kind of kinds) {
      const port = new ScriptedPort();
      const run = runOf([], port);
      const outcome = await run.run(async () => {
        void run.call({ kind, name: `${kind}-call`, input: {} } as CallRequest);
        return 'returned';
      });
      expectCompleted(outcome, 'returned');
      expect(port.executed.map((e) => e.kind), kind).toEqual(FIRE_AND_FORGET[kind] ? [kind] : []);
    }
    expect(kinds.filter((k) => FIRE_AND_FORGET[k]).sort()).toEqual(['context', 'emit', 'hook', 'interrupt', 'patch', 'search', 'signal', 'start']);
  });

  it('a fire-and-forget call still running when the function returns is not executed twice', async () => {
    const port = new ScriptedPort(async (call) => {
      if (call.kind === 'sleep') return { type: 'blocked', dueAt: Date.now() + 20 };
      await sleep(100);
      return done('sent');
    });
    const run = runOf([], port);
    const outcome = await run.run(async () => {
      void run.call({ kind: 'signal', name: 's', input: { data: 1 } });
      await run.call(napFor('20ms'));
      return 'returned';
    });
    expectCompleted(outcome, 'returned');
    await sleep(150);
    expect(port.executed.map((e) => e.kind)).toEqual(['signal', 'sleep']);
    expect(run.journal().has(1)).toBe(false); // it finished after the run ended: not recorded in it
  });

  it('a fire-and-forget call that fails at settle makes the run end as the port says', async () => {
    const down = new Error('gone');
    const port = new ScriptedPort(() => {
      throw down;
    });
    const run = runOf([], port);
    const outcome = await run.run(async () => {
      void run.call({ kind: 'signal', name: 's', input: { data: 1 } });
      return 'returned';
    });
    expect(outcome).toEqual({ type: 'aborted', error: down });
  });

  it('an execution still running when the run ended writes nothing', async () => {
    const port = new ScriptedPort(async (call) => {
      if (call.kind === 'sleep') return { type: 'blocked', dueAt: Date.now() + 20 };
      await sleep(60);
      return done(call.name);
    });
    const run = runOf([], port);
    const outcome = await run.run(async () => {
      void run.call(act('slow')); // not awaited, not fire-and-forget
      await run.call(napFor('20ms')); // due first: its batch closes while 'slow' still runs
      return 'returned';
    });
    expectCompleted(outcome, 'returned');
    await sleep(120);
    expect(port.late).toEqual([1]);
    expect(run.journal().has(1)).toBe(false);
  });
});

describe('journal entries and call names', () => {
  it('isDeliverable: done or failed, and due', () => {
    const e = (status: JournalEntry['status'], dueAt: number | null) => entry(1, 'x', 'y', null, { status, dueAt });
    expect(isDeliverable(e('done', null), 10)).toBe(true);
    expect(isDeliverable(e('failed', null), 10)).toBe(true);
    expect(isDeliverable(e('done', 10), 10)).toBe(true);
    expect(isDeliverable(e('done', 11), 10)).toBe(false);
    expect(isDeliverable(e('retry', null), 10)).toBe(false);
    expect(isDeliverable(e('retry', 5), 10)).toBe(false);
  });

  it('describeCall names a call as kind(\'name\')', () => {
    expect(describeCall('activity', 'charge')).toBe("activity('charge')");
  });
});

describe('ThreadRun: a cancellation request (handle.cancel())', () => {
  const cancelled: StoredFailure = { type: 'CancelledError', message: 'cancelled', code: 499, details: { jobId: 'job-1', reason: 'stop' } };
  const cancelledFailure = (): StoredFailure => ({ ...cancelled });
  const waitFor = (id: string): CallRequest => ({ kind: 'wait', name: id, input: { signalId: id } } as unknown as CallRequest);
  const signalOut = (id: string): CallRequest => ({ kind: 'signal', name: id, input: { signalId: id, data: null } } as unknown as CallRequest);

  class CancellingPort extends ScriptedPort {
    cancels: Array<{ batch: number; seqs: number[]; kinds: string[] }> = [];
    async cancel(batch: number, calls: IssuedCall[]): Promise<void> {
      this.cancels.push({ batch, seqs: calls.map((c) => c.seq), kinds: calls.map((c) => c.kind) });
    }
  }

  const blockedWaits = (call: IssuedCall): CallOutcome => (call.kind === 'wait' || call.kind === 'sleep' ? { type: 'blocked' } : done(`${call.kind}:${call.name}`));

  it('is delivered once, to the waits the function is blocked on, as a failed completion; other calls go on', async () => {
    const port = new CancellingPort(blockedWaits);
    const run = new ThreadRun([], port, { jobId: 'job-1', thread: 'main' }, cancelled);
    const outcome = await run.run(async () => {
      const sent = await run.call(signalOut('s'));
      const [w, n] = await Promise.all([run.call(waitFor('go')), run.call(napFor('nap'))]);
      return { sent: valueOf(sent), wait: (valueOf(w) as StoredFailure).type, nap: (valueOf(n) as StoredFailure).type };
    });
    expect(outcome).toEqual({ type: 'completed', value: { sent: 'signal:s', wait: 'CancelledError', nap: 'CancelledError' } });
    expect(port.cancels).toEqual([{ batch: 2, seqs: [2, 3], kinds: ['wait', 'sleep'] }]);
  });

  it('is not delivered again by a run whose journal holds it (replay throws it at the same place)', async () => {
    const port = new CancellingPort(blockedWaits);
    const journal = [entry(1, 'wait', 'go', 1, { status: 'failed', value: undefined, error: cancelled })];
    const run = new ThreadRun(journal, port, { jobId: 'job-1', thread: 'main' }, cancelled);
    const outcome = await run.run(async () => {
      const first = await run.call(waitFor('go'));
      const second = await run.call(waitFor('again'));
      return [valueOf(first), second];
    });
    expect(outcome.type).toBe('suspended'); // the second wait blocks: the request was spent on the first
    expect(port.cancels).toEqual([]);
  });

  it('cancels a timer that was due after the request was made, though this run comes after it is due', async () => {
    const now = Date.now();
    const timer = entry(1, 'sleep', 'nap', null, { status: 'done', value: 1, dueAt: now - 100 }); // due, undelivered
    for (const [askedAt, expectCancel] of [[now - 200, true], [now - 50, false]] as const) {
      const port = new CancellingPort(blockedWaits);
      const run = new ThreadRun([{ ...timer }], port, { jobId: 'job-1', thread: 'main' }, cancelledFailure(), askedAt);
      const outcome = await run.run(async () => valueOf(await run.call(napFor('nap'))));
      // asked before the timer was due: the sleep throws; asked after: the timer had fired, it is delivered
      expect(port.cancels.map((c) => c.kinds), `asked ${now - askedAt} ms ago`).toEqual(expectCancel ? [['sleep']] : []);
      expect(outcome.type === 'completed' && (outcome.value as StoredFailure | number)).toEqual(expectCancel ? expect.objectContaining({ type: 'CancelledError' }) : 1);
    }
  });

  it("of another job (a child's cancellation) does not count as this job's delivery", async () => {
    const port = new CancellingPort(blockedWaits);
    const childs: StoredFailure = { ...cancelled, details: { jobId: 'child-1' } };
    const journal = [entry(1, 'child', 'kid', 1, { status: 'failed', value: undefined, error: childs })];
    const run = new ThreadRun(journal, port, { jobId: 'job-1', thread: 'main' }, cancelled);
    const outcome = await run.run(async () => {
      await run.call({ kind: 'child', name: 'kid', input: {} } as unknown as CallRequest);
      return valueOf(await run.call(waitFor('go')));
    });
    expect(outcome).toMatchObject({ type: 'completed', value: { type: 'CancelledError', details: { jobId: 'job-1' } } });
    expect(port.cancels.map((c) => c.kinds)).toEqual([['wait']]);
  });
});

describe('ThreadRun: seqBase (continueAsNew)', () => {
  it('counts the run on from the earlier runs\' last seq, and replays its journal at those seqs', async () => {
    const port = new ScriptedPort();
    const run = new ThreadRun([entry(8, 'activity', 'a', 1)], port, { jobId: 'job-1', thread: 'main', seqBase: 7 });
    const outcome = await run.run(async () => [valueOf(await run.call(act('a'))), valueOf(await run.call(act('b')))]);
    expect(outcome).toEqual({ type: 'completed', value: ['activity:a', 'activity:b'] });
    expect(port.executed.map((e) => e.seq)).toEqual([9]); // seq 8 replayed, seq 9 ran
    expect(run.counter).toBe(9);
  });
});
