/**
 * What an action's SQL function answered, as the caller sees it: done, JobNotFoundError, or a
 * WorkflowStateError naming the state the job is in.
 */
import { JobNotFoundError, ValidationError, WorkflowStateError } from '../errors.js';
import { workflowStatus } from './status.js';

export function checkOutcome(jobId: string, action: string, expected: string, outcome: string | undefined, done: string): void {
  if (outcome === done) return;
  if (outcome === undefined || outcome === 'not-found') throw new JobNotFoundError(jobId);
  throw new WorkflowStateError(jobId, action, workflowStatus(outcome, false), expected);
}

/** An operator's reason (cancel, terminate): optional, a string of at most 1000 characters. */
export function validateReason(options: unknown): string | null {
  if (options === undefined || options === null) return null;
  if (typeof options !== 'object' || Array.isArray(options)) throw new ValidationError('options', 'must be an object');
  const reason = (options as { reason?: unknown }).reason;
  if (reason === undefined || reason === null) return null;
  if (typeof reason !== 'string') throw new ValidationError('reason', 'must be a string');
  if (reason.length > 1000) throw new ValidationError('reason', 'must be at most 1000 characters');
  if (reason.includes('\u0000')) throw new ValidationError('reason', 'must not contain NUL');
  return reason;
}
