/**
 * `MemFlow.testing.replay(history, workflowFn)`: replay a recorded history against a function, with
 * no database, through the same replay core the workers use (replay/thread-run.ts). Throws the
 * NonDeterminismError of the first call the function makes differently from the record (it names
 * the seq, the recorded call and the call made now); returns quietly when the code is compatible.
 * This is how a deploy is checked against production histories before it ships.
 *
 * Only what the recorded history delivered is replayed (the main thread's entries with a batch);
 * calls the function makes past the end of it are not executed (the replay stops there, as a
 * suspended run would). Activities never run.
 */
import { type StoredFailure, ValidationError } from '../errors.js';
import type { ExecutionInfo } from '../replay/execution-info.js';
import type { JournalEntry } from '../replay/journal-entry.js';
import type { RunPort } from '../replay/run-port.js';
import { ThreadRun } from '../replay/thread-run.js';
import { ActivityRegistry } from '../worker/activity-registry.js';
import { runInThreadScope } from '../worker/execution-scope.js';
import type { ExecutionHost, WorkflowExecution } from '../workflow/execution.js';
import { type WorkflowInterceptor, withWorkflowInterceptors } from '../workflow/interceptors.js';
import type { HistoryEntry, WorkflowExport, WorkflowHistory } from './types.js';

/** What `replay` takes: `history()`'s entries, a WorkflowHistory, or an export holding `history`. */
export type ReplayableHistory = HistoryEntry[] | WorkflowHistory | WorkflowExport;

export interface ReplayOptions {
  /** The workflow's arguments (default: the history's own `args`, or none for a bare entries array). */
  args?: unknown[];
  /** Workflow interceptors to run around the function, as the worker does (their durable calls count). */
  interceptors?: WorkflowInterceptor[];
  /** The thread to replay. Default 'main'. */
  thread?: string;
  /** After `continueAsNew`: where the run's seqs start (default: the history's `seqBase`, else 0). */
  seqBase?: number;
}

function asHistory(history: unknown): {
  entries: HistoryEntry[];
  args: unknown[];
  workflowId: string;
  workflowName: string;
  taskQueue: string;
  seqBase?: number;
  compactedThreads?: WorkflowHistory['compactedThreads'];
} {
  if (Array.isArray(history)) {
    const entries = history as HistoryEntry[];
    // history()'s entries carry their run's seqBase (after continueAsNew) on the main thread's
    const seqBase = entries.find((e) => e?.thread === 'main' && typeof e.seqBase === 'number')?.seqBase;
    return { entries, args: [], workflowId: 'replay', workflowName: 'replay', taskQueue: 'replay', seqBase };
  }
  if (history && typeof history === 'object') {
    const h = ('entries' in history ? history : (history as { history?: unknown }).history) as WorkflowHistory | undefined;
    if (h && typeof h === 'object' && Array.isArray(h.entries)) {
      return {
        entries: h.entries,
        args: Array.isArray(h.args) ? h.args : [],
        workflowId: h.workflowId ?? 'replay',
        workflowName: h.workflowName ?? 'replay',
        taskQueue: h.taskQueue ?? 'replay',
        seqBase: h.seqBase,
        compactedThreads: h.compactedThreads,
      };
    }
  }
  throw new ValidationError('history', 'must be an array of history entries, a WorkflowHistory or an export holding `history`');
}

function toJournalEntry(entry: HistoryEntry, index: number): JournalEntry {
  if (!entry || typeof entry !== 'object' || !Number.isInteger(entry.seq) || typeof entry.kind !== 'string' || typeof entry.name !== 'string') {
    throw new ValidationError(`history entry ${index}`, 'must have an integer seq, a kind and a name');
  }
  if (entry.status !== 'done' && entry.status !== 'failed' && entry.status !== 'retry') {
    throw new ValidationError(`history entry ${index}`, "status must be 'done', 'failed' or 'retry'");
  }
  const error: StoredFailure | undefined = entry.error
    ? {
        message: entry.error.message,
        ...(entry.error.code === null || entry.error.code === undefined ? {} : { code: entry.error.code }),
        ...(entry.error.stack ? { stack: entry.error.stack } : {}),
        ...(entry.error.type ? { type: entry.error.type } : {}),
        ...(entry.error.details ? { details: entry.error.details } : {}),
      }
    : undefined;
  return {
    seq: entry.seq,
    kind: entry.kind,
    name: entry.name,
    status: entry.status,
    value: entry.status === 'done' ? entry.result : undefined,
    error: entry.status === 'done' ? undefined : (error ?? { message: 'failed' }),
    attempt: entry.attempt ?? 1,
    batch: entry.batch,
    dueAt: null,
  };
}

/** A port that executes nothing: a call past the recorded history waits for good (the run suspends). */
const REPLAY_ONLY: RunPort = {
  execute: async () => ({ type: 'blocked' }),
  stamp: async () => {},
  now: () => Date.now(),
};

export async function replayHistory(history: ReplayableHistory, workflowFn: (...args: any[]) => unknown, options: ReplayOptions = {}): Promise<void> {
  if (typeof workflowFn !== 'function') throw new ValidationError('workflowFn', 'must be a function');
  const h = asHistory(history);
  const thread = options.thread ?? 'main';
  // the thread's calls are gone: an empty journal would "replay" against any function (a black-box pass)
  const compacted = h.compactedThreads?.[thread];
  if (compacted) {
    throw new ValidationError('history', `thread '${thread}' was compacted (${compacted.calls} calls, journalRetention): there is no journal left to replay`);
  }
  // every entry is checked, whichever thread it is of: a file that is not a history (a context log, a
  // list of anything) was filtered down to nothing and "replayed" against any function (a black-box pass)
  const checked = h.entries.map((e, i) => [e, toJournalEntry(e, i)] as const);
  const journal = checked
    .filter(([e]) => (e.thread ?? 'main') === thread && e.batch !== null && e.batch !== undefined && e.status !== 'retry')
    .map(([, entry]) => entry);
  const args = options.args ?? h.args;
  const seqBase = options.seqBase ?? (thread === 'main' ? h.seqBase : undefined) ?? 0;
  const run = new ThreadRun(journal, REPLAY_ONLY, { jobId: h.workflowId, thread, seqBase });
  // a test's replay waits 5 s, not a worker's 10 minutes, on ordinary async code before it reports the
  // next recorded call as not made
  run.nonDurableWaitMs = 5_000;
  const info: ExecutionInfo = {
    workflowId: h.workflowId,
    namespace: 'replay',
    workflowTopic: `${h.taskQueue}-${h.workflowName}`,
    workflowName: h.workflowName,
    taskQueue: h.taskQueue,
    thread,
    workflowDimension: thread === 'main' ? '' : thread,
    canRetry: false,
    config: {},
  };
  const interceptors = options.interceptors ?? [];
  const host: ExecutionHost = {
    activities: new ActivityRegistry(),
    workflowInterceptors: interceptors,
    activityInterceptors: [],
    publish: async () => {},
    hotMesh: () => undefined,
  };
  const execution: WorkflowExecution = { info, run, host };
  const outcome = await run.run(() => runInThreadScope(execution, withWorkflowInterceptors(execution, async () => workflowFn(...args))));
  if (outcome.type === 'nondeterminism') throw outcome.error;
  if (outcome.type === 'aborted') throw outcome.error;
  // completed, failed (as recorded, or by the code itself) or suspended past the record: compatible
}


