/**
 * Upstream's low-level helpers, kept as escape hatches (memflow-api.md §5.14).
 */
import { currentExecution } from './execution.js';

/** `[recorded, seq, result]` for the next durable call: whether replay will answer it, and with what. */
export async function didRun(_prefix?: string): Promise<[boolean, number, unknown]> {
  const { run } = currentExecution('didRun');
  const seq = run.counter + 1;
  const entry = run.journal().get(seq);
  return [entry !== undefined, seq, entry?.value];
}

/** True while this run is past its recorded history (a side effect done now is done for the first time). */
export async function isSideEffectAllowed(_engine?: unknown, _prefix?: string): Promise<boolean> {
  return !currentExecution('isSideEffectAllowed').run.replaying;
}

/** The app's engine handle (appId, interrupt), as `handle.hotMesh` gives it. */
export async function getHotMesh(): Promise<unknown> {
  return currentExecution('getHotMesh').host.hotMesh();
}
