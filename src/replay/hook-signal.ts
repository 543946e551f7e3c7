/**
 * How a hook started by `execHook` reports back: the hook gets a marker as its last argument naming
 * the signal to send and the job that waits for it, and its `signal(signalId, …)` goes to that job.
 * Both sides (workflow/hooks.ts builds it, worker/calls/signal.ts reads it) share this shape.
 */

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
  const last = args[args.length - 1] as Partial<HookSignalArg> | undefined;
  return last && typeof last === 'object' && last.$memflow === true && last.signal === signalId ? last.job : undefined;
}
