/**
 * Where a worker process can be caught for a fault: the orchestrator arms a point (`watch <kind>
 * [jobId]` on the worker's stdin), and the next time the worker passes it (for that job, if one is
 * named), the worker prints
 * `IN <kind> <jobId>` and holds there for a moment, so the SIGKILL or SIGSTOP that follows lands in it.
 *
 * - `step`: inside an activity of a workflow's main thread (its ledger row is written);
 * - `hook`: inside an activity of a hook thread;
 * - `ctx`:  right after a context op committed, before the run has seen its reply;
 * - `write`: right before a fence probe's step result is journaled (the SIGSTOP target; see
 *   workload.ts, fenceProbe).
 */
export type FaultPoint = 'step' | 'hook' | 'ctx' | 'write';

/** Armed points, each for one job or (empty) for any. */
const armed = new Map<FaultPoint, string>();
let holdMs = 0;
let announce: (line: string) => void = () => {};

/** Installed once by the worker process. */
export function bindFaultPoints(options: { holdMs: number; announce: (line: string) => void }): void {
  holdMs = options.holdMs;
  announce = options.announce;
}

export function arm(point: FaultPoint, jobId = ''): void {
  armed.set(point, jobId);
}

export function disarm(point: FaultPoint): void {
  armed.delete(point);
}

/** Pass a fault point: announce it and hold if it is armed (once), return at once otherwise. */
export async function reached(point: FaultPoint, jobId: string): Promise<void> {
  const only = armed.get(point);
  if (only === undefined || (only !== '' && only !== jobId)) return;
  armed.delete(point);
  announce(`IN ${point} ${jobId}`);
  await new Promise((resolve) => setTimeout(resolve, holdMs));
}
