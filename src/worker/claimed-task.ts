/**
 * A task as a claim hands it to the worker (migration 0008's claim_tasks row), and its journal as the
 * replay core reads it.
 */
import type { StoredFailure } from '../errors.js';
import type { RetryConfig } from '../replay/durable-call.js';
import type { JournalEntry } from '../replay/journal-entry.js';
import type { StoredTraceContext } from '../telemetry/tracing.js';

/** What a job keeps in `jobs.options`. */
export interface JobOptions {
  expire?: number;
  config?: RetryConfig;
  parentWorkflowId?: string;
  originJobId?: string;
  signalIn?: false;
  /** The span the job was started in (telemetry/tracing.ts). */
  trace?: StoredTraceContext;
  /** handle.cancel() asked the job to stop (manage/cancel.ts). */
  cancel?: { reason: string | null; at: string };
}

export interface RawJournalRow {
  seq: number;
  kind: string;
  name: string;
  status: 'done' | 'failed' | 'retry';
  result: unknown;
  undef: boolean;
  attempt: number;
  batch: number | null;
  due: number | null;
}

export interface ClaimedRow {
  id: string;
  job_id: string;
  thread: string;
  seq: number;
  kind: 'thread' | 'activity';
  topic: string;
  claims: number;
  wakeups: number;
  payload: unknown;
  workflow_name: string | null;
  task_queue: string | null;
  args: unknown[] | null;
  failures: number | null;
  thread_status: string | null;
  job_options: JobOptions | null;
  entity: string | null;
  job_status: string | null;
  db_now: number;
  journal: RawJournalRow[] | null;
  /** When the task became ready (epoch ms, DB clock): its run_at before the claim (migration 0040). */
  ready_at: number | null;
  /** When the job was started (epoch ms, DB clock). */
  job_created_at: number | null;
  /** The trace a hook thread continues (threads.trace); null: the job's (`job_options.trace`). */
  thread_trace: StoredTraceContext | null;
  /** A hook thread's own retry policy (threads.config, migration 0060); null: the job's (`job_options.config`). */
  thread_config?: RetryConfig | null;
  /** The last seq of the thread's earlier runs (continueAsNew, migration 0042): this run counts on from it. */
  thread_seq_base?: number | null;
}

/** The lease a worker holds on a claimed task, and the thread it is for. */
export interface HeldTask {
  taskId: string;
  claims: number;
  jobId: string;
  thread: string;
}

export function heldTask(row: ClaimedRow): HeldTask {
  return { taskId: row.id, claims: row.claims, jobId: row.job_id, thread: row.thread };
}

export function toJournalEntry(row: RawJournalRow): JournalEntry {
  const failed = row.status !== 'done';
  return {
    seq: row.seq,
    kind: row.kind,
    name: row.name,
    status: row.status,
    value: failed || row.undef ? undefined : row.result,
    error: failed ? (row.result as StoredFailure) : undefined,
    attempt: row.attempt,
    batch: row.batch,
    dueAt: row.due === null ? null : Number(row.due),
  };
}
