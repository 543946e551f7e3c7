/**
 * How a hook started by `execHook` reports back: the hook gets a marker as its last argument naming
 * the signal to send and the job that waits for it, and its `signal(signalId, …)` goes to that job.
 * Both sides (workflow/hooks.ts builds it, worker/calls/signal.ts reads it) share this shape. A hook
 * that fails for good sends that signal too, with a failure in place of its result
 * (worker/thread-task.ts), and the waiting `execHook` throws it (catalog §8.14: upstream's execHook
 * swallowed its hook's failure and waited forever).
 */
import type { StoredFailure } from '../errors.js';

/** Marker appended as the last argument of a hook started by execHook. */
export interface HookSignalArg {
  signal: string;
  $memflow: true;
  /** The job waiting for the signal. */
  job: string;
}

export function hookSignalArg(signal: string, job: string): HookSignalArg {
  return { signal, $memflow: true, job };
}

/** The job a thread started with `args` answers when it sends `signalId`, if it is such a hook. */
export function replyTarget(args: readonly unknown[], signalId: string): string | undefined {
  const reply = hookReply(args);
  return reply?.signal === signalId ? reply.job : undefined;
}

/** The signal a hook started by execHook answers, and the job that waits for it; undefined for any other thread. */
export function hookReply(args: readonly unknown[]): { signal: string; job: string } | undefined {
  const last = args[args.length - 1] as Partial<HookSignalArg> | undefined;
  return last && typeof last === 'object' && last.$memflow === true && typeof last.signal === 'string' && typeof last.job === 'string'
    ? { signal: last.signal, job: last.job }
    : undefined;
}

/**
 * The arguments a hook's `continueAsNew(...next)` starts over with: `next`, and the reply marker the
 * hook was started with when `next` does not end with one and this run has not answered it (`calls`:
 * the run's journal). Without it the next run had no marker, and its answer (or its failure) never
 * reached the `execHook` that waits. After an answer it is left out: continueAsNew drops the journal
 * that shows the answer, and a later failure would go to a waiter already answered.
 */
export function withReplyMarker(next: readonly unknown[], current: readonly unknown[], calls: Iterable<{ kind: string; name: string }>): unknown[] {
  const reply = hookReply(current);
  if (!reply || hookReply(next)) return [...next];
  for (const call of calls) if (call.kind === 'signal' && call.name === reply.signal) return [...next];
  return [...next, current[current.length - 1]];
}

/** What a hook that failed for good sends in place of its result: the failure, and the hook's thread. */
export interface HookFailure {
  $memflowHookFailure: true;
  error: StoredFailure;
  thread: string;
}

export function hookFailure(error: StoredFailure, thread: string): HookFailure {
  return { $memflowHookFailure: true, error, thread };
}

export function isHookFailure(value: unknown): value is HookFailure {
  return typeof value === 'object' && value !== null && (value as Partial<HookFailure>).$memflowHookFailure === true;
}
