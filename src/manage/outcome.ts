/**
 * What an action's SQL function answered, as the caller sees it: done, JobNotFoundError, or a
 * WorkflowStateError naming the state the job is in.
 */
import type { Engine } from '../engine/engine.js';
import { JobNotFoundError, WorkflowStateError } from '../errors.js';
import * as manage from '../sql/queries/manage.js';
import { validateOptions, validateText } from '../validation.js';
import { workflowStatus } from './status.js';

/**
 * Done, or the error: JobNotFoundError, or a WorkflowStateError naming the state as describe() and
 * list() name it (a running job none of whose threads can go on now is `waiting`: one more read, on
 * this error path only).
 */
export async function checkOutcome(engine: Engine, jobId: string, action: string, expected: string, outcome: string | undefined, done: string): Promise<void> {
  if (outcome === done) return;
  if (outcome === undefined || outcome === 'not-found') throw new JobNotFoundError(jobId);
  const waiting = outcome === 'running' && (await engine.query(manage.jobIsWaiting, { jobId })).rows[0]?.waiting === true;
  throw new WorkflowStateError(jobId, action, workflowStatus(outcome, waiting), expected);
}

/** An operator's reason (cancel, terminate): optional, a string of at most 1000 characters. */
export function validateReason(options: unknown): string | null {
  const reason = validateOptions<{ reason: unknown }>('options', options, ['reason']).reason;
  if (reason === undefined || reason === null) return null;
  return validateText('reason', reason, 1000);
}
