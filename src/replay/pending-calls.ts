/**
 * The calls a run has issued and not yet handed back, and what can be read off them: when the next
 * one comes due, which wait on the outside, what a suspension must persist. Pure functions over the
 * run's state (thread-run.ts owns it).
 */
import type { IssuedCall } from './durable-call.js';
import { isDeliverable, type JournalEntry } from './journal-entry.js';
import type { Completion, DueTimer, PendingTimer } from './run-port.js';

export interface Pending {
  call: IssuedCall;
  resolve: (completion: Completion) => void;
  /** Executed (or registered) in this run, and waiting on the outside. */
  blocked: boolean;
  /** An in-memory timer (a sleep not yet persisted): its due time and result. */
  timer?: { dueAt: number; value: unknown };
  /** A blocked call to execute again at this time (a waitFor's deadline), DB-clock epoch ms. */
  recheckAt?: number;
}

/** A call being executed: in its own code (an inline activity), then writing its result. */
export interface InFlight {
  /** True once it asked for its batch: its journal write is under way. */
  writing: boolean;
  done: Promise<void>;
}

/** Thrown to an execution that finishes after its run ended: its result is not written. */
export class RunEnded extends Error {
  constructor() {
    super('the run ended before this call finished; its result is discarded');
  }
}

type Calls = ReadonlyMap<number, Pending>;
type Journal = ReadonlyMap<number, JournalEntry>;

export function completionOf(entry: JournalEntry): Completion {
  return entry.status === 'failed' ? { ok: false, error: entry.error ?? { message: 'unknown failure' } } : { ok: true, value: entry.value };
}

/** The earliest time a pending call comes due (a timer, a deadline, a retry's backoff), or Infinity. */
export function nextDueTime(pending: Calls, journal: Journal): number {
  let next = Infinity;
  for (const [seq, p] of pending) {
    if (p.timer) next = Math.min(next, p.timer.dueAt);
    if (p.recheckAt !== undefined) next = Math.min(next, p.recheckAt);
    const entry = journal.get(seq);
    if (entry?.status === 'retry' && entry.dueAt !== null) next = Math.min(next, entry.dueAt);
  }
  return next;
}

/** Seqs of calls blocked on something outside the run (a signal, a child, a remote activity). */
export function waitingOutside(pending: Calls, journal: Journal): number[] {
  const seqs: number[] = []; // one array, not three (it is asked on every wait of a running activity)
  for (const [seq, p] of pending) if (p.blocked && !p.timer && !journal.has(seq)) seqs.push(seq);
  return seqs;
}

/**
 * Something other than executions still running could be delivered at `clock` (a due timer, a
 * passed deadline, a result from outside).
 */
export function deliverableBesides(pending: Calls, journal: Journal, running: ReadonlyMap<number, unknown>, clock: number): boolean {
  for (const [seq, p] of pending) {
    const entry = journal.get(seq);
    if (entry && entry.batch === null && !running.has(seq) && isDeliverable(entry, clock)) return true;
    if (p.timer && p.timer.dueAt <= clock) return true;
    if (p.recheckAt !== undefined && p.recheckAt <= clock) return true;
  }
  return false;
}

/** What a suspension persists: the in-memory timers, and when the thread must run again. */
export function suspensionOf(pending: Calls, journal: Journal, now: number): { timers: PendingTimer[]; nextDueAt: number | null } {
  const timers: PendingTimer[] = [];
  let nextDueAt: number | null = null;
  const due = (at: number) => (nextDueAt = nextDueAt === null || at < nextDueAt ? at : nextDueAt);
  for (const [seq, p] of pending) {
    if (p.timer) {
      timers.push({ seq, name: p.call.name, value: p.timer.value, remainingMs: Math.max(0, p.timer.dueAt - now) });
      continue;
    }
    if (p.recheckAt !== undefined) due(p.recheckAt);
    if (p.blocked) continue; // waiting on the outside (a remote attempt, a child): its wake-up brings it back
    const dueAt = journal.get(seq)?.dueAt ?? null;
    if (dueAt !== null) due(dueAt);
  }
  return { timers, nextDueAt };
}

/**
 * What batch `batch` hands back at `clock`: results journaled into it, results that completed outside
 * the run (to be stamped with it), and in-memory timers that came due (to be journaled with it).
 */
export function batchContents(pending: Calls, journal: Journal, batch: number, clock: number) {
  const ready: number[] = [];
  const externals: number[] = [];
  const dueTimers: DueTimer[] = [];
  for (const [seq, p] of pending) {
    const entry = journal.get(seq);
    if (entry?.batch === batch) ready.push(seq);
    else if (entry && entry.batch === null && isDeliverable(entry, clock)) externals.push(seq);
    else if (p.timer && p.timer.dueAt <= clock) dueTimers.push({ seq, name: p.call.name, value: p.timer.value });
  }
  return { ready, externals, dueTimers };
}
