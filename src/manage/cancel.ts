/**
 * `handle.cancel({ reason? })`: ask a running job to stop gracefully. The request is stored on the job
 * and its main thread woken; the run that takes it journals a CancelledError into the durable wait the
 * workflow is in (or makes next), which the workflow may catch to clean up. Uncaught, the job ends
 * `cancelled` (worker/thread-task.ts). Idempotent while the job runs.
 */
import type { Engine } from '../engine/engine.js';
import { CancelledError, type StoredFailure } from '../errors.js';
import { toFailure } from '../failure-codec.js';
import * as manage from '../sql/queries/manage.js';
import { validateId } from '../validation.js';
import { checkOutcome, validateReason } from './outcome.js';

/** What a job keeps in `options.cancel` (and claims hand to the run). */
export interface CancelRequest {
  reason: string | null;
  /**
   * When it was asked for: cancel_job stores the database's time (migration 0062), which orders the
   * request against the job's timers; this process's time is sent only for requests older servers keep.
   */
  at: string;
}

export function cancelRequest(options: unknown): CancelRequest {
  return { reason: validateReason(options), at: new Date().toISOString() };
}

/** When the request was made (ms), or undefined when its `at` does not parse. */
export function cancelRequestedAt(request: CancelRequest): number | undefined {
  const at = Date.parse(request.at);
  return Number.isNaN(at) ? undefined : at;
}

/** The failure a run journals into the waits it cancels. */
export function cancelFailure(jobId: string, request: CancelRequest): StoredFailure {
  return toFailure(new CancelledError(jobId, request.reason));
}

export async function cancelWorkflow(engine: Engine, workflowId: string, options?: { reason?: string }): Promise<void> {
  validateId('workflowId', workflowId);
  const request = cancelRequest(options);
  const res = await engine.query(manage.cancelJob, { jobId: workflowId, cancel: JSON.stringify(request) });
  await checkOutcome(engine, workflowId, 'cancel', 'running or waiting', res.rows[0]?.outcome, 'requested');
}
