/**
 * Waiting for a job's result (`handle.result()`): answered by the job's finish message in the common
 * case, by a read of the job row otherwise.
 *
 * - The message carries the outcome when it is small (migration 0032): no read at all.
 * - A handle from `start()` in this process carries a watch set before the job existed
 *   (engine/finish-notices.ts): while it is trusted (the LISTEN connection stayed up), silence means
 *   "still running", so the first read is skipped too.
 * - Otherwise (another handle, a lost LISTEN connection, a message without the outcome, a parked or
 *   interrupted job) the row is read, as before; and while the job runs the row is read again every
 *   POLL_MS, the fallback for a message lost with its connection. A handle without the start's watch
 *   marks the job watched with its first read, so that the finish sends the message (migration 0047).
 */
import type { Engine } from '../engine/engine.js';
import type { FinishNotice, FinishWatch } from '../engine/finish-notices.js';
import { ErrorCode, JobNotFoundError, type StoredFailure, WorkflowFailedError } from '../errors.js';
import { failureCause } from '../failure-codec.js';
import * as jobs from '../sql/queries/jobs.js';
import { isTransientDbError } from '../storage/transient-error.js';

export interface ResultOptions {
  /** false: resolve with the failure object instead of rejecting. Default true. */
  throwOnError?: boolean;
  /** Accepted for compatibility: the stored state is always checked first. */
  state?: boolean;
}

const POLL_MS = 2000;
/** Outcomes no action changes afterwards (retry takes a failed job, resume a parked one). */
const FINAL = new Set(['completed', 'cancelled', 'interrupted']);

type Outcome = { done: false } | { done: true; value: unknown };

/** What a job's status, output and error mean for result(). */
function outcomeOf(jobId: string, n: FinishNotice, options: ResultOptions): Outcome {
  if (n.status === 'completed') return { done: true, value: n.outputUndefined ? undefined : n.output };
  if (n.status === 'interrupted' && (n.error as { throw?: boolean } | null)?.throw === false) return { done: true, value: undefined };
  if (n.status === 'running') return { done: false };
  const failure: StoredFailure = n.error ?? { message: `job [${jobId}] ${n.status}`, code: ErrorCode.INTERRUPT };
  const error = new WorkflowFailedError(jobId, failure, failureCause(failure));
  if (options.throwOnError === false) return { done: true, value: error };
  throw error;
}

async function readOutcome(engine: Engine, jobId: string, watching: boolean): Promise<FinishNotice | 'retry'> {
  let row;
  try {
    row = (await engine.query(watching ? jobs.watchJobStatus : jobs.readJobStatus, { jobId })).rows[0];
  } catch (err) {
    if (!isTransientDbError(err)) throw err;
    await new Promise((r) => setTimeout(r, 500)); // the database is restarting: keep waiting
    return 'retry';
  }
  if (!row) throw new JobNotFoundError(jobId);
  return { status: row.status, output: row.output, outputUndefined: row.output_undefined, error: row.error };
}

/** The result of job `jobId`; `watch` is the one its start in this process set, if any. */
export async function waitForResult<T>(engine: Engine, jobId: string, options: ResultOptions, watch?: FinishWatch): Promise<T> {
  let wake: () => void = () => {};
  let heard: FinishNotice | undefined;
  /** A finish message came since this round of the loop began (with the outcome or without it). */
  let woken = false;
  const off = engine.onDone(jobId, (notice) => {
    heard = notice ?? heard;
    woken = true;
    wake();
  });
  try {
    // what the start's watch heard is the outcome only if nothing can undo it since: a failed job can
    // be retried and a parked one resumed, by any handle, the CLI or the dashboard (the row says)
    if (watch?.notice && FINAL.has(watch.notice.status)) heard = watch.notice;
    // no read while a trusted watch has heard nothing: the job is still running
    let read = !heard && (!watch || watch.heard || !engine.watchTrusted(watch));
    // A waiter without the start's watch marks the job watched with its first read: a finish in
    // another engine then sends the `done:` NOTIFY (migration 0047; without the mark it sends one only
    // to an engine other than the one that started the job).
    let watching = !watch;
    for (;;) {
      woken = false;
      if (heard) {
        const o = outcomeOf(jobId, heard, options);
        if (o.done) return o.value as T;
        heard = undefined;
      }
      if (read) {
        const n = await readOutcome(engine, jobId, watching).catch((err: unknown) => {
          // the job expired and was swept since its failure was heard: that failure is its outcome
          if (err instanceof JobNotFoundError && watch?.notice) return watch.notice;
          throw err;
        });
        if (n === 'retry') continue;
        watching = false;
        const o = outcomeOf(jobId, n, options);
        if (o.done) return o.value as T;
      }
      read = true;
      // until the finish message, or POLL_MS (the fallback for a message lost with its connection):
      // one promise per wait (with AsyncLocalStorage on, each costs its hooks)
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        if (woken) return resolve(); // it came while the row was being read
        wake = resolve;
        timer = setTimeout(resolve, POLL_MS);
      });
      clearTimeout(timer);
    }
  } finally {
    off();
  }
}
