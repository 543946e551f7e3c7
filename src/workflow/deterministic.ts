/**
 * Deterministic helpers: values that must repeat exactly on replay.
 */
import { currentExecution } from './execution.js';

/** Upstream's deterministic random: the fractional part of sin(seed) * 10000. */
export function deterministicRandom(seed: number): number {
  const x = Math.sin(seed) * 10000;
  return x - Math.floor(x);
}

/** A random number in [0, 1) seeded by this call's seq, so replay returns the same value. */
export function random(): number {
  const { run } = currentExecution('random');
  return deterministicRandom(run.takeSeq());
}

/** Upstream's variadic `all(p1, p2, ...)`. */
export function all<T extends readonly unknown[]>(...promises: { [K in keyof T]: Promise<T[K]> | T[K] }): Promise<T> {
  return Promise.all(promises) as unknown as Promise<T>;
}
