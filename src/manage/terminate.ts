/**
 * `handle.terminate({ reason? })`: end a running, waiting or parked job now; no more of its code runs
 * (the interrupt of `handle.interrupt()`). On a finished job it ends the hooks still running on it;
 * a finished job with none is a WorkflowStateError.
 */
import type { Engine } from '../engine/engine.js';
import { interruptFailure } from '../failure-codec.js';
import * as jobs from '../sql/queries/jobs.js';
import { validateId } from '../validation.js';
import { checkOutcome, validateReason } from './outcome.js';

export async function terminateWorkflow(engine: Engine, workflowId: string, options?: { reason?: string }): Promise<void> {
  validateId('workflowId', workflowId);
  const reason = validateReason(options);
  const error = interruptFailure(workflowId, reason === null ? {} : { reason });
  const res = await engine.query(jobs.interruptJob, { targetId: workflowId, error: JSON.stringify(error), descend: false, expireSeconds: null });
  if (res.rows.some((r) => r.id === workflowId)) {
    engine.localDone(workflowId);
    return;
  }
  const row = (await engine.query(jobs.readJobStatus, { jobId: workflowId })).rows[0];
  await checkOutcome(engine, workflowId, 'terminate', 'running, waiting or parked workflows, or to the running hooks of finished', row?.status ?? 'not-found', 'running');
}
