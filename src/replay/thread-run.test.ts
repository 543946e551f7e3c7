/**
 * The deterministic core, without a database: replay equivalence (a run cut short at any point and
 * replayed from its journal ends exactly like an uninterrupted run), delivery order across
 * Promise.all branches, and non-determinism detection.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CallRequest, IssuedCall } from './durable-call.js';
import type { CallOutcome, JournalEntry } from './journal-entry.js';
import { type RunOutcome, type RunPort, ThreadRun } from './thread-run.js';

type Step = { kind: 'activity' | 'sleep'; name: string };
type Program = Step[][];

class Crash extends Error {}

/** An in-memory journal and a port that executes activities after a random delay, and may crash. */
class FakeStore {
  journal = new Map<number, JournalEntry>();
  constructor(readonly withSeq = false) {}
  executions = new Map<string, number>();

  port(delays: () => number, crashAfter = Infinity): RunPort {
    let writes = 0;
    const write = () => {
      if (writes++ >= crashAfter) throw new Crash('crash');
    };
    return {
      now: () => 0,
      execute: async (call: IssuedCall, batchNow: () => number): Promise<CallOutcome> => {
        if (call.kind === 'sleep') return { type: 'blocked', dueAt: 1 };
        await new Promise((r) => setTimeout(r, delays()));
        const batch = batchNow(); // asked right before the write, as the real port does
        write();
        const key = `${call.seq}`;
        this.executions.set(key, (this.executions.get(key) ?? 0) + 1);
        const value = this.withSeq ? `${call.name}@${call.seq}` : call.name;
        this.journal.set(call.seq, { seq: call.seq, kind: call.kind, name: call.name, status: 'done', value, attempt: 1, batch, dueAt: null });
        return { type: 'done', value };
      },
      stamp: async (batch, seqs, timers) => {
        write();
        for (const seq of seqs) this.journal.get(seq)!.batch = batch;
        for (const t of timers) this.journal.set(t.seq, { seq: t.seq, kind: 'sleep', name: t.name, status: 'done', value: t.value, attempt: 1, batch, dueAt: null });
      },
    };
  }

  /** What a suspension persists: timer rows, due at once (time is not what this test is about). */
  persist(outcome: RunOutcome): void {
    if (outcome.type !== 'suspended') return;
    for (const t of outcome.timers) {
      this.journal.set(t.seq, { seq: t.seq, kind: 'sleep', name: t.name, status: 'done', value: t.value, attempt: 1, batch: null, dueAt: 0 });
    }
  }
}

function workflow(run: ThreadRun, program: Program) {
  return () =>
    Promise.all(
      program.map(async (branch) => {
        const out: unknown[] = [];
        for (const step of branch) {
          const input = step.kind === 'sleep' ? { ms: 10, value: step.name } : undefined;
          const c = await run.call({ kind: step.kind, name: step.name, input } as unknown as CallRequest);
          out.push(c.ok ? c.value : c.error);
        }
        return out;
      }),
    );
}

/** Run a program to completion, re-running after every suspension and every crash. */
async function runToEnd(program: Program, store: FakeStore, delays: () => number, crashEvery?: () => number): Promise<unknown> {
  for (let runs = 0; runs < 500; runs++) {
    const run = new ThreadRun([...store.journal.values()].map((e) => ({ ...e })), store.port(delays, crashEvery?.() ?? Infinity), {
      jobId: 'job',
      thread: 'main',
    });
    const outcome = await run.run(workflow(run, program));
    if (outcome.type === 'completed') return outcome.value;
    if (outcome.type === 'nondeterminism') throw outcome.error;
    if (outcome.type === 'failed') throw outcome.error;
    if (outcome.type === 'aborted' && !(outcome.error instanceof Crash)) throw outcome.error;
    store.persist(outcome);
  }
  throw new Error('did not finish');
}

const stepArb = fc.record({ kind: fc.constantFrom<'activity' | 'sleep'>('activity', 'activity', 'sleep'), name: fc.constantFrom('a', 'b', 'c', 'd') });
const programArb = fc.array(fc.array(stepArb, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 4 });

describe('ThreadRun', () => {
  // A crash can change which results a later batch groups together, so seqs after the crash point may
  // differ from an uninterrupted run's; what must hold is that every run agrees with the journal
  // (no NonDeterminismError), nothing committed runs twice, and the function ends with the same values.
  it('ends a run cut short anywhere like an uninterrupted run (replay equivalence)', async () => {
    await fc.assert(
      fc.asyncProperty(programArb, fc.integer({ min: 0, max: 1000 }), async (program, seed) => {
        let s = seed + 1;
        const rand = () => {
          s ^= s << 13;
          s ^= s >>> 17;
          s ^= s << 5;
          return (s >>> 0) % 4;
        };
        const clean = new FakeStore();
        const expected = await runToEnd(program, clean, rand);
        const crashy = new FakeStore();
        const actual = await runToEnd(program, crashy, rand, () => rand());
        expect(actual).toEqual(expected);
        expect(actual).toEqual(program.map((branch) => branch.map((step) => step.name)));
        // a result that committed is never produced twice, and every activity ran
        for (const count of crashy.executions.values()) expect(count).toBe(1);
        expect(crashy.executions.size).toBe(program.flat().filter((step) => step.kind === 'activity').length);
      }),
      { numRuns: 60 },
    );
  });

  it('hands results of parallel branches back in call order, whatever order they complete in', async () => {
    const program: Program = [
      [{ kind: 'activity', name: 'a' }, { kind: 'activity', name: 'b' }],
      [{ kind: 'activity', name: 'c' }, { kind: 'activity', name: 'd' }],
    ];
    const delays = [5, 0, 0, 0];
    let i = 0;
    const store = new FakeStore(true);
    expect(await runToEnd(program, store, () => delays[i++ % 4]!)).toEqual([
      ['a@1', 'b@3'],
      ['c@2', 'd@4'],
    ]);
  });

  it('stops with a NonDeterminismError when the code calls something else at a recorded position', async () => {
    const journal: JournalEntry[] = [{ seq: 1, kind: 'activity', name: 'charge', status: 'done', value: 1, attempt: 1, batch: 1, dueAt: null }];
    const store = new FakeStore();
    const run = new ThreadRun(journal, store.port(() => 0), { jobId: 'job-1', thread: 'main' });
    const outcome = await run.run(async () => run.call({ kind: 'activity', name: 'refund', input: { args: [] } }));
    expect(outcome.type).toBe('nondeterminism');
    if (outcome.type !== 'nondeterminism') return;
    expect(outcome.error.message).toContain("job 'job-1'");
    expect(outcome.error.message).toContain("activity('charge')");
    expect(outcome.error.message).toContain("activity('refund')");
    expect(outcome.error.seq).toBe(1);
    expect(store.executions.size).toBe(0); // nothing new ran past that point
  });

  it('detects a recorded call the code no longer makes', async () => {
    const journal: JournalEntry[] = [
      { seq: 1, kind: 'activity', name: 'a', status: 'done', value: 1, attempt: 1, batch: 1, dueAt: null },
      { seq: 2, kind: 'activity', name: 'b', status: 'done', value: 2, attempt: 1, batch: 2, dueAt: null },
    ];
    const run = new ThreadRun(journal, new FakeStore().port(() => 0), { jobId: 'j', thread: 'main' });
    const outcome = await run.run(async () => run.call({ kind: 'activity', name: 'a', input: { args: [] } }));
    expect(outcome.type).toBe('nondeterminism');
  });
});
