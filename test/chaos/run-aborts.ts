/**
 * What must be undone if the process is interrupted while runs are in progress (their worker
 * processes, their cluster or data directory): each run registers its undo, the CLI's SIGINT handler
 * calls them all. Undos are synchronous, so they also run from a signal handler.
 */
const aborts = new Set<() => void>();

export function onAbort(undo: () => void): () => void {
  aborts.add(undo);
  return () => aborts.delete(undo);
}

export function abortRuns(): void {
  for (const undo of aborts) undo();
}
