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

/** `0` falls through to the next level, as upstream's `||`. */
export function resolveRetry(...levels: Array<RetryFields | undefined>): ResolvedRetry {
  const pick = <K extends keyof RetryFields>(key: K): RetryFields[K] => {
    for (const level of levels) if (level?.[key]) return level[key];
    return RETRY_DEFAULTS[key];
  };
  const interval = pick('maximumInterval')!;
  return {
    maximumAttempts: Number(pick('maximumAttempts')),
    backoffCoefficient: Number(pick('backoffCoefficient')),
    maximumIntervalSeconds: parseDurationMs(typeof interval === 'number' ? interval * 1000 : interval, 'maximumInterval') / 1000,
  };
}

/** Seconds to wait before retry `n` (1-based). */
export function retryDelaySeconds(n: number, policy: ResolvedRetry): number {
  return Math.min(policy.backoffCoefficient ** (n - 1), policy.maximumIntervalSeconds);
}
