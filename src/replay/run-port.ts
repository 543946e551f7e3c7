/**
 * What a thread run needs from the worker (the port) and what it hands back (the outcome). The
 * replay core depends on this interface only; worker/thread-port.ts implements it with fenced SQL.
 */
import type { NonDeterminismError, StoredFailure } from '../errors.js';
import type { IssuedCall } from './durable-call.js';
import type { CallOutcome, JournalEntry } from './journal-entry.js';

/** What a durable call settles with: its result, or its stored failure. */
export type Completion<T = unknown> = { ok: true; value: T } | { ok: false; error: StoredFailure };

/** What the worker provides: execution of new-ground calls and the database clock. */
export interface RunPort {
  /**
   * Execute a call on new ground (or the next attempt of an activity in backoff, or a waitFor whose
   * deadline passed). A result it returns has been journaled in the batch `batch()` answered; the
   * port asks right before it writes, because an inline activity may outlast the batch it began in.
   * Throwing aborts the run (lease lost, database unreachable).
   */
  execute(call: IssuedCall, batch: () => number, previous: JournalEntry | undefined): Promise<CallOutcome>;
  /** Record that `seqs` (completed outside the run) and `timers` (due in-memory) were delivered in `batch`. */
  stamp(batch: number, seqs: number[], timers: DueTimer[]): Promise<void>;
  /** The database clock, estimated (epoch ms). */
  now(): number;
  /** Journal rows that now exist for these seqs (results that arrived from outside during the run). */
  poll?(seqs: number[]): Promise<JournalEntry[]>;
  /**
   * Journal `failure` (a CancelledError) as the result of `calls` in `batch` (handle.cancel()): the
   * waits the function is blocked on or is making now. Throwing aborts the run.
   */
  cancel?(batch: number, calls: IssuedCall[], failure: StoredFailure): Promise<void>;
}

export interface DueTimer {
  seq: number;
  name: string;
  value: unknown;
}

export interface PendingTimer extends DueTimer {
  /** Milliseconds still to wait, measured from now. */
  remainingMs: number;
}

export type RunOutcome =
  | { type: 'completed'; value: unknown }
  | { type: 'failed'; error: unknown; progressed: boolean }
  | { type: 'suspended'; timers: PendingTimer[]; nextDueAt: number | null }
  | { type: 'nondeterminism'; error: NonDeterminismError }
  | { type: 'aborted'; error: unknown };
