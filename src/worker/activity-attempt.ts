/**
 * One attempt of an activity, and what follows from it: the one place where an attempt's outcome is
 * decided, for activities run inline by the thread's worker and for remote activity tasks alike.
 * Each path then writes the decision with its own statement (a journal row, or the task's).
 *
 * - The function runs outside the workflow's scope, with its activity info (idempotency key, attempt).
 * - A result JSON cannot hold fails the call for good (598), as the result would fail every attempt.
 * - A failure with a terminal code (596/597/598), or past the policy's retries, is final; anything
 *   else is retried after the policy's delay (`maximumAttempts` N allows N + 1 executions).
 */
import { ActivityTimeoutError, ErrorCode, type StoredFailure } from '../errors.js';
import { isTerminalCode, toFailure, withCode } from '../failure-codec.js';
import { encodeJson } from '../json-value.js';
import type { ActivityFunction } from '../replay/durable-call.js';
import { failureField, type Logger } from '../telemetry/logger.js';
import { type ActivityInfo, runActivityScope } from './execution-scope.js';
import { type ResolvedRetry, retryDelaySeconds } from './retry-policy.js';

export type AttemptDecision =
  /** `json` is the result as stored (null for undefined). */
  | { type: 'done'; value: unknown; json: string | null }
  | { type: 'failed'; failure: StoredFailure }
  | { type: 'retry'; failure: StoredFailure; delaySeconds: number };

export async function attemptActivity(
  fn: ActivityFunction | undefined,
  args: unknown[],
  info: ActivityInfo,
  policy: ResolvedRetry,
  /** startToCloseTimeout: the attempt fails once it has run this long (its late result is dropped). */
  timeoutMs?: number,
): Promise<AttemptDecision> {
  let failure: StoredFailure;
  if (!fn) {
    // retryable: the worker that has it may be deployed meanwhile (memflow-api.md §4.2)
    failure = toFailure(new Error(`Activity '${info.activityName}' is not registered in this worker process`));
  } else {
    try {
      const running = runActivityScope(info, () => fn.apply(null, args));
      const value = timeoutMs === undefined ? await running : await withDeadline(running, timeoutMs, info.activityName);
      try {
        return { type: 'done', value, json: encodeJson(`activity '${info.activityName}' result`, value) };
      } catch (err) {
        return { type: 'failed', failure: withCode(toFailure(err), ErrorCode.FATAL) };
      }
    } catch (err) {
      failure = toFailure(err);
    }
  }
  if (isTerminalCode(failure.code) || info.attempt > policy.maximumAttempts) return { type: 'failed', failure };
  return { type: 'retry', failure, delaySeconds: retryDelaySeconds(info.attempt, policy) };
}

/** `work`, or an ActivityTimeoutError once `ms` passed (work goes on; what it returns is ignored). */
async function withDeadline(work: unknown, ms: number, activityName: string): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ActivityTimeoutError(activityName, ms)), ms);
  });
  Promise.resolve(work).catch(() => {}); // a late failure of abandoned work is not unhandled
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** An attempt that failed is logged (warn): which activity, which attempt, what next, and why. */
export function logAttempt(log: Logger, activity: string, seq: number, attempt: number, decision: AttemptDecision): void {
  if (decision.type === 'done') return;
  const err = failureField(decision.failure);
  if (decision.type === 'retry') {
    log.warn({ activity, seq, attempt, nextDelaySeconds: decision.delaySeconds, err }, 'activity attempt failed; it will be retried');
  } else {
    log.warn({ activity, seq, attempt, err }, 'activity failed for good (no retry left, or not retryable)');
  }
}

export function idempotencyKey(appId: string, jobId: string, thread: string, seq: number): string {
  return `${appId}:${jobId}:${thread}:${seq}`;
}
