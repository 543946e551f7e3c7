/**
 * Run one claimed remote-activity task: execute the function (registered in this runtime), then
 * journal the result into the waiting thread and wake it, or schedule the next attempt.
 */
import type { Engine } from '../engine/engine.js';
import type { ActivityRetryPolicy, RetryConfig } from '../replay/durable-call.js';
import * as activities from '../sql/queries/activities.js';
import { type Logger, withFields } from '../telemetry/logger.js';
import { attemptActivity, idempotencyKey, logAttempt } from './activity-attempt.js';
import type { ActivityRegistry } from './activity-registry.js';
import type { ClaimedRow } from './claimed-task.js';
import { resolveRetry, type RetryFields } from './retry-policy.js';

/** What a remote activity task carries (`tasks.payload`). */
export interface ActivityPayload {
  name: string;
  args: unknown[];
  retryPolicy?: ActivityRetryPolicy;
  config?: RetryConfig;
  /** Attempts already made. */
  attempt?: number;
  /** startToCloseTimeout of one attempt, in ms. */
  startToCloseMs?: number;
}

export async function runActivityTask(
  engine: Engine,
  row: ClaimedRow,
  registry: ActivityRegistry,
  workerRetry?: RetryFields,
  log?: Logger,
): Promise<void> {
  const payload = row.payload as ActivityPayload;
  const attempt = (payload.attempt ?? 0) + 1;
  const lease = { taskId: row.id, claims: row.claims };
  const decision = await attemptActivity(
    registry.find(payload.name),
    payload.args ?? [],
    {
      idempotencyKey: idempotencyKey(engine.appId, row.job_id, row.thread, row.seq),
      activityName: payload.name,
      workflowId: row.job_id,
      thread: row.thread,
      seq: row.seq,
      attempt,
      namespace: engine.appId,
    },
    resolveRetry(payload.retryPolicy, payload.config, workerRetry),
    payload.startToCloseMs,
  );
  if (log) logAttempt(withFields(log, { appId: engine.appId, jobId: row.job_id, thread: row.thread, topic: row.topic }), payload.name, row.seq, attempt, decision);
  switch (decision.type) {
    case 'done':
      await engine.query(activities.finishActivityTask, { ...lease, name: payload.name, status: 'done', result: decision.json, attempt });
      return;
    case 'failed':
      await engine.query(activities.finishActivityTask, {
        ...lease,
        name: payload.name,
        status: 'failed',
        result: JSON.stringify(decision.failure),
        attempt,
      });
      return;
    case 'retry':
      await engine.query(activities.retryActivityTask, { ...lease, attempt, delaySeconds: decision.delaySeconds });
  }
}
