/**
 * Retry policies, with upstream's semantics and defaults (memflow-api.md): `maximumAttempts` N allows
 * N retries (N + 1 executions), default 3; the delay before retry n is
 * min(backoffCoefficient^(n-1), maximumInterval) seconds, defaults 10 and 120 s. A field left unset
 * inherits the next level: activity policy → workflow config → worker options → defaults.
 */
import { parseDurationMs } from '../duration.js';
import type { RetryFields } from '../replay/durable-call.js';

export type { RetryFields } from '../replay/durable-call.js';

export interface ResolvedRetry {
  maximumAttempts: number;
  backoffCoefficient: number;
  maximumIntervalSeconds: number;
}

export const RETRY_DEFAULTS = { maximumAttempts: 3, backoffCoefficient: 10, maximumInterval: '120s' } as const;

/** The default maximumInterval, parsed once (every run and every activity call resolves a policy). */
const DEFAULT_MAXIMUM_INTERVAL_SECONDS = parseDurationMs(RETRY_DEFAULTS.maximumInterval, 'maximumInterval') / 1000;

/** `0` falls through to the next level, as upstream's `||`. */
export function resolveRetry(...levels: Array<RetryFields | undefined>): ResolvedRetry {
  const interval = pick(levels, 'maximumInterval')!;
  return {
    maximumAttempts: Number(pick(levels, 'maximumAttempts')),
    backoffCoefficient: Number(pick(levels, 'backoffCoefficient')),
    maximumIntervalSeconds:
      interval === RETRY_DEFAULTS.maximumInterval
        ? DEFAULT_MAXIMUM_INTERVAL_SECONDS
        : parseDurationMs(interval, 'maximumInterval', 'seconds') / 1000,
  };
}

/**
 * `over`'s set (truthy) fields on `base`, one level of policy made of two, as resolveRetry reads levels
 * (a hook's own config over its job's).
 */
export function overlayRetry<T extends RetryFields>(base: T | undefined, over: T): T {
  const merged = { ...base } as T;
  for (const [key, value] of Object.entries(over) as [keyof T, T[keyof T]][]) if (value) merged[key] = value;
  return merged;
}

/** The first level that sets `key` (a falsy value falls through), else the default. */
function pick<K extends keyof RetryFields>(levels: Array<RetryFields | undefined>, key: K): RetryFields[K] {
  for (const level of levels) if (level?.[key]) return level[key];
  return RETRY_DEFAULTS[key];
}

/** Seconds to wait before retry `n` (1-based). */
export function retryDelaySeconds(n: number, policy: ResolvedRetry): number {
  return Math.min(policy.backoffCoefficient ** (n - 1), policy.maximumIntervalSeconds);
}
