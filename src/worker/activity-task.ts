/**
 * Run one claimed remote-activity task: execute the function (registered in this process), then
 * journal the result into the waiting thread and wake it, or schedule the next attempt.
 */
import type { Engine } from '../engine/engine.js';
import { ErrorCode, isTerminalCode, serializeError } from '../errors.js';
import { encodeJson } from '../json-value.js';
import type { ActivityRetryPolicy } from '../workflow/proxy-activities.js';
import type { RetryConfig } from '../workflow/execution.js';
import { runActivityAttempt } from './activity-runner.js';
import { resolveRetry, retryDelaySeconds, type RetryFields } from './retry-policy.js';
import type { ClaimedRow } from './thread-task.js';

export interface ActivityPayload {
  name: string;
  args: unknown[];
  retryPolicy?: ActivityRetryPolicy;
  config?: RetryConfig;
  /** Attempts already made. */
  attempt?: number;
}

export async function runActivityTask(engine: Engine, row: ClaimedRow, workerRetry?: RetryFields): Promise<void> {
  const payload = row.payload as ActivityPayload;
  const attempt = (payload.attempt ?? 0) + 1;
  const result = await runActivityAttempt(payload.name, payload.args ?? [], {
    idempotencyKey: `${engine.appId}:${row.job_id}:${row.thread}:${row.seq}`,
    activityName: payload.name,
    workflowId: row.job_id,
    thread: row.thread,
    seq: row.seq,
    attempt,
    namespace: engine.appId,
  });
  const finish = (status: 'done' | 'failed', result: string | null) =>
    engine.query('finishActivityTask', [row.id, row.claims, payload.name, status, result, attempt]);
  if (result.ok) {
    let json: string | null;
    try {
      json = encodeJson(`activity '${payload.name}' result`, result.value);
    } catch (err) {
      // a result JSON cannot hold fails the call for good, as the inline path does
      await finish('failed', JSON.stringify({ ...serializeError(err), code: ErrorCode.FATAL }));
      return;
    }
    await finish('done', json);
    return;
  }
  const policy = resolveRetry(payload.retryPolicy, payload.config, workerRetry);
  if (isTerminalCode(result.error.code) || attempt > policy.maximumAttempts) {
    await finish('failed', JSON.stringify(result.error));
    return;
  }
  await engine.query('retryActivityTask', [row.id, row.claims, attempt, retryDelaySeconds(attempt, policy)]);
}
