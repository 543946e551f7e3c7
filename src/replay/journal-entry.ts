/**
 * The journal as the replay core sees it: one entry per durable call result of one thread.
 */
import type { StoredFailure } from '../errors.js';

export type JournalStatus = 'done' | 'failed' | 'retry';

export interface JournalEntry {
  seq: number;
  kind: string;
  name: string;
  status: JournalStatus;
  /** The result ('done'), undefined for a void result. */
  value?: unknown;
  /** The failure ('failed', or the last failure of a 'retry'). */
  error?: StoredFailure;
  attempt: number;
  /** Delivery batch that handed this result to the function; null until delivered. */
  batch: number | null;
  /** Not deliverable (or, for 'retry', not retryable) before this time, in DB-clock epoch ms. */
  dueAt: number | null;
}

/** How a call came out when the worker executed it on new ground. */
export type CallOutcome =
  | { type: 'done'; value: unknown }
  | { type: 'failed'; error: StoredFailure }
  /**
   * Waiting on something outside this run (timer, signal, child, remote activity, retry backoff).
   * `recheckAt`: execute the call again at that time (a waitFor's deadline).
   */
  | {
      type: 'blocked';
      dueAt?: number;
      attempt?: number;
      recheckAt?: number;
      /** An inline activity attempt that failed and will be retried at dueAt: its failure (its span's error). */
      attemptFailure?: StoredFailure;
    };

export function isDeliverable(entry: JournalEntry, now: number): boolean {
  return entry.status !== 'retry' && (entry.dueAt === null || entry.dueAt <= now);
}
