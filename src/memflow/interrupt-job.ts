/**
 * Interrupting a job from outside (handle.interrupt, hotMesh.interrupt): the same SQL function a
 * workflow's interrupt() uses.
 */
import type { Engine } from '../engine/engine.js';
import { JobNotFoundError, WorkflowStateError } from '../errors.js';
import { interruptFailure } from '../failure-codec.js';
import type { InterruptOptions } from '../replay/durable-call.js';
import * as jobs from '../sql/queries/jobs.js';
import { validateId } from '../validation.js';

export async function interruptJob(engine: Engine, jobId: string, options: InterruptOptions = {}): Promise<string> {
  validateId('workflowId', jobId);
  const error = interruptFailure(jobId, options);
  const res = await engine.query(jobs.interruptJob, {
    targetId: jobId,
    error: JSON.stringify(error),
    descend: options.descend === true,
    expireSeconds: options.expire ?? null,
  });
  for (const r of res.rows) engine.localDone(r.id);
  if (res.rows.some((r) => r.id === jobId) || options.suppress) return jobId;
  const exists = await engine.query(jobs.readJobStatus, { jobId });
  if (exists.rowCount === 0) throw new JobNotFoundError(jobId);
  // the catalog's wording (§3), as the typed error every other action in the wrong state throws
  throw new WorkflowStateError(jobId, 'interrupt', exists.rows[0]!.status, 'running', `Job ${jobId} already completed`);
}
