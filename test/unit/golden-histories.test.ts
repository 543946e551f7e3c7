/**
 * Golden histories: every thread the README examples ran (test/histories/*.json, recorded by
 * test/histories/record-histories.ts) is replayed against the current code, with no database. The
 * replay core gets the recorded journal and a port that serves nothing else; the example's function
 * runs as the runtime runs it (Runtime.threadProgram: its own execution scope, the interceptors).
 *
 * A change of call numbering or shape fails here, loudly:
 * - a call of another kind or name at a recorded seq, a recorded call the code no longer makes, or a
 *   result delivered in another batch: the replay core's NonDeterminismError;
 * - a call the history does not have (the code calls more, or earlier): the port refuses to run it;
 * - a thread that ended differently, or with another value, than recorded.
 * Changed the examples or the engine on purpose? Re-record: `npm run histories:record`, or
 * `UPDATE_HISTORIES=1 npx vitest run --config vitest.unit.config.ts test/unit/golden-histories.test.ts`,
 * and review the diff of test/histories/ like code.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { planner, reflector, supervisor, tool } from '../../examples/agent.js';
import { onboarding } from '../../examples/established-api.js';
import { example, hook1, hook2 } from '../../examples/hooks-and-context.js';
import { profile, tagger } from '../../examples/memory-from-outside.js';
import type { Engine } from '../../src/engine/engine.js';
import type { ExecutionInfo } from '../../src/replay/execution-info.js';
import type { JournalEntry } from '../../src/replay/journal-entry.js';
import { type RunOutcome, type RunPort, ThreadRun } from '../../src/replay/thread-run.js';
import { Runtime, type WorkflowFunction } from '../../src/runtime/runtime.js';
import type { StoredFailure } from '../../src/errors.js';
import { HISTORIES_DIR, type History, type RecordedThread, recordHistories } from '../histories/record-histories.js';

/** The example functions by the name their threads were recorded under. */
const FUNCTIONS: Record<string, WorkflowFunction> = { example, hook1, hook2, profile, tagger, onboarding, planner, tool, reflector, supervisor };

/** Thrown by the port: the code made a durable call the recorded history does not have. */
class UnrecordedCall extends Error {}

function journalOf(thread: RecordedThread): JournalEntry[] {
  return thread.journal.map((c) => ({
    seq: c.seq,
    kind: c.kind,
    name: c.name,
    status: c.status,
    value: c.status === 'done' ? c.result : undefined,
    error: c.status === 'done' ? undefined : (c.result as StoredFailure),
    attempt: c.attempt,
    batch: c.batch,
    dueAt: null,
  }));
}

/** Replay one recorded thread against the current code: the journal in, nothing else served. */
export async function replayThread(thread: RecordedThread, functions = FUNCTIONS): Promise<RunOutcome> {
  const fn = functions[thread.workflowName];
  if (!fn) throw new Error(`no example function named '${thread.workflowName}' (recorded in job ${thread.job})`);
  const where = `${thread.job} thread '${thread.thread}' (${thread.workflowName})`;
  const port: RunPort = {
    now: () => 1_700_000_000_000,
    execute: async (call) => {
      throw new UnrecordedCall(`${where} made a call its history does not have: ${call.kind}('${call.name}') at seq ${call.seq}`);
    },
    stamp: async (batch, seqs, timers) => {
      throw new UnrecordedCall(`${where} delivered results the history did not: batch ${batch}, seqs ${[...seqs, ...timers.map((t) => t.seq)]}`);
    },
  };
  const run = new ThreadRun(journalOf(thread), port, { jobId: thread.job, thread: thread.thread });
  const info: ExecutionInfo = {
    workflowId: thread.job,
    namespace: 'golden',
    workflowTopic: `golden-${thread.workflowName}`,
    workflowName: thread.workflowName,
    taskQueue: 'golden',
    thread: thread.thread,
    workflowDimension: thread.thread === 'main' ? '' : thread.thread,
    canRetry: false,
    config: {},
  };
  // The runtime's own wrapping of a workflow function; the engine is never reached in a replay.
  const program = new Runtime().threadProgram({} as Engine, fn);
  return run.run(() => program({ info, run, args: thread.args }));
}

function loadHistories(): Array<[string, History]> {
  return fs
    .readdirSync(HISTORIES_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => [f, JSON.parse(fs.readFileSync(path.join(HISTORIES_DIR, f), 'utf8')) as History]);
}

/** What the outcome must be for a thread recorded with this status and output. */
function expectRecordedEnd(thread: RecordedThread, outcome: RunOutcome): void {
  const where = `${thread.job} thread '${thread.thread}'`;
  if (outcome.type === 'nondeterminism' || outcome.type === 'aborted') throw outcome.error;
  expect(thread.status, where).toBe('completed');
  expect(outcome.type, where).toBe('completed');
  if (outcome.type === 'completed') expect(outcome.value, `${where}: return value`).toEqual(thread.output);
}

// UPDATE_HISTORIES=1 re-records first (once: in the main config the postgres project leaves it to pglite).
const record = process.env.UPDATE_HISTORIES === '1' && process.env.HOTMESH_TEST_BACKEND !== 'postgres';

describe('golden histories of the README examples', () => {
  beforeAll(async () => {
    if (record) await recordHistories();
  }, 120_000);

  const histories = loadHistories();
  it('has the histories of every example', () => {
    expect(histories.map(([file]) => file)).toEqual(['agent.json', 'established-api.json', 'memory-from-outside.json', 'quick-start.json']);
  });

  for (const [file, history] of histories) {
    it(`${file}: every recorded thread replays to the recorded end (${history.example})`, async () => {
      expect(history.threads.length).toBeGreaterThan(0);
      for (const thread of history.threads) expectRecordedEnd(thread, await replayThread(thread));
    });
  }

  describe('the harness fails on a changed history', () => {
    const [, quick] = histories.find(([file]) => file === 'quick-start.json')!;
    const main = quick.threads.find((t) => t.thread === 'main')!;
    const changed = (edit: (journal: RecordedThread['journal']) => void): RecordedThread => {
      const copy = structuredClone(main);
      edit(copy.journal);
      return copy;
    };

    it('another call at a recorded seq is a NonDeterminismError naming both', async () => {
      const outcome = await replayThread(changed((j) => (j[1]!.name = 'hook9')));
      expect(outcome.type).toBe('nondeterminism');
      if (outcome.type === 'nondeterminism') expect(outcome.error.message).toMatch(/seq 2: the journal recorded hook\('hook9'\) but the code now calls hook\('hook1'\)/);
    });

    it('a recorded call the code no longer makes is a NonDeterminismError', async () => {
      const outcome = await replayThread(
        changed((j) => j.splice(j.length, 0, { seq: 8, kind: 'context', name: 'get', batch: 7, status: 'done', attempt: 1, result: {} })),
      );
      expect(outcome.type).toBe('nondeterminism');
    });

    it('a result delivered in another batch is a NonDeterminismError', async () => {
      const outcome = await replayThread(changed((j) => (j[2]!.batch = 3))); // the two hooks started in one batch
      expect(outcome.type).toBe('nondeterminism');
    });

    it('a call the history does not have is refused by the port', async () => {
      const outcome = await replayThread(changed((j) => j.pop()));
      expect(outcome.type).toBe('aborted');
      if (outcome.type === 'aborted') expect((outcome.error as Error).message).toContain("context('increment') at seq 7");
    });
  });
});
