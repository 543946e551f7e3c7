/**
 * Run one claimed remote-activity task: execute the function (registered in this runtime), then
 * journal the result into the waiting thread and wake it, or schedule the next attempt.
 */
import type { Engine } from '../engine/engine.js';
import type { ActivityRetryPolicy, RetryConfig } from '../replay/durable-call.js';
import { refusedStatementFailure } from '../failure-codec.js';
import * as activities from '../sql/queries/activities.js';
import { isDeterministicDbError } from '../storage/transient-error.js';
import { type Logger, withFields } from '../telemetry/logger.js';
import { contextFrom, endSpan, startSpan } from '../telemetry/tracing.js';
import { attemptActivity, idempotencyKey, logAttempt } from './activity-attempt.js';
import type { ActivityRegistry } from './activity-registry.js';
import type { ClaimedRow } from './claimed-task.js';
import { type LeaseGuard, warnClosingMatchedNothing } from './lease-guard.js';
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
  guard: LeaseGuard,
  workerRetry?: RetryFields,
  log?: Logger,
): Promise<void> {
  const payload = row.payload as ActivityPayload;
  const attempt = (payload.attempt ?? 0) + 1;
  const lease = { taskId: row.id, claims: row.claims };
  // each attempt is a span, as an inline one is (calls/index.ts executeCall), in the trace of the
  // thread that made the call; with no SDK registered it records nothing
  const span = startSpan(
    `activity ${payload.name}`,
    {
      'hotmesh.app_id': engine.appId,
      'hotmesh.job_id': row.job_id,
      ...(row.workflow_name ? { 'hotmesh.workflow_name': row.workflow_name } : {}),
      'hotmesh.seq': row.seq,
      'hotmesh.attempt': attempt,
      'hotmesh.topic': row.topic,
    },
    contextFrom(row.thread_trace ?? row.job_options?.trace),
  );
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
  endSpan(span, decision.type === 'done' ? undefined : decision.failure);
  const route = row.workflow_name ? { workflowName: row.workflow_name, taskQueue: row.task_queue ?? undefined } : {};
  const taskLog = log && withFields(log, { appId: engine.appId, jobId: row.job_id, thread: row.thread, ...route, topic: row.topic });
  if (taskLog) logAttempt(taskLog, payload.name, row.seq, attempt, decision);
  // The lease was lost (another worker runs the activity now) or the worker shut down while the
  // function ran (its pool may be closed): the late result is dropped.
  if (!guard.confirmed && !(await guard.holds())) return;
  guard.close(); // what follows ends the task, and with it the lease
  const finish = async (status: 'done' | 'failed', result: string | null) => {
    const res = await engine.query(activities.finishActivityTask, { ...lease, name: payload.name, status, result, attempt });
    if (Number(res.rows[0]?.held ?? 0) === 0) warnClosingMatchedNothing(taskLog, 'finishActivityTask');
  };
  let statement = 'finishActivityTask';
  try {
    switch (decision.type) {
      case 'done':
        await finish('done', decision.json);
        return;
      case 'failed':
        await finish('failed', JSON.stringify(decision.failure));
        return;
      case 'retry':
        statement = 'retryActivityTask';
        if ((await engine.query(activities.retryActivityTask, { ...lease, attempt, delaySeconds: decision.delaySeconds })).rows.length === 0) {
          warnClosingMatchedNothing(taskLog, 'retryActivityTask');
        }
    }
  } catch (err) {
    // Fix: a refusal for its data (SQLSTATE class 22, HM...) escaped to the task loop, which kept the
    // lease: the activity ran again every lease, forever. The same statement would be refused again:
    // fail the call (598, naming the statement and the error) instead; the workflow sees it as the
    // activity's failure. A refusal of this last statement goes to the task loop.
    if (!isDeterministicDbError(err)) throw err;
    await finish('failed', JSON.stringify(refusedStatementFailure(statement, err)));
  }
}
