/**
 * Where a worker process can be caught for a fault: the orchestrator arms a point (`watch <kind>` on
 * the worker's stdin), and the next time the worker passes it, the worker prints
 * `IN <kind> <jobId>` and holds there for a moment, so the SIGKILL or SIGSTOP that follows lands in it.
 *
 * - `step`: inside an activity of a workflow's main thread (its ledger row is written);
 * - `hook`: inside an activity of a hook thread;
 * - `ctx`:  right after a context op committed, before the run has seen its reply;
 * - `long`: inside the long activity of a fence probe (the SIGSTOP target).
 */
export type FaultPoint = 'step' | 'hook' | 'ctx' | 'long';

const armed = new Set<FaultPoint>();
let holdMs = 0;
let announce: (line: string) => void = () => {};

/** Installed once by the worker process. */
export function bindFaultPoints(options: { holdMs: number; announce: (line: string) => void }): void {
  holdMs = options.holdMs;
  announce = options.announce;
}

export function arm(point: FaultPoint): void {
  armed.add(point);
}

export function disarm(point: FaultPoint): void {
  armed.delete(point);
}

/** Pass a fault point: announce it and hold if it is armed (once), return at once otherwise. */
export async function reached(point: FaultPoint, jobId: string): Promise<void> {
  if (!armed.delete(point)) return;
  announce(`IN ${point} ${jobId}`);
  await new Promise((resolve) => setTimeout(resolve, holdMs));
}
