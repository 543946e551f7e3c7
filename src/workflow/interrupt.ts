/**
 * interrupt(jobId, options): end another job now (typically a child started with startChild). Its
 * threads stop, result() waiters are told, and with `descend` its descendants end too. Happens once.
 */
import { ErrorCode, ValidationError } from '../errors.js';
import { validateId, validatePositiveSeconds } from '../validation.js';
import { currentExecution } from './execution.js';

export interface InterruptOptions {
  /** Error message. Default 'job [<id>] interrupted'. */
  reason?: string;
  /** false: the job ends silently; result() resolves undefined. Default true. */
  throw?: boolean;
  /** Also interrupt descendant jobs. Default false. */
  descend?: boolean;
  /** Ignore "already completed". Default false. */
  suppress?: boolean;
  /** Seconds before the record is deleted. Default: kept. */
  expire?: number;
  /** Error code. Default 410. */
  code?: number;
  stack?: string;
}

export interface InterruptInput {
  jobId: string;
  options: InterruptOptions;
}

export function interruptError(jobId: string, options: InterruptOptions) {
  if (options !== undefined && (typeof options !== 'object' || options === null)) throw new ValidationError('interrupt options', 'must be an object');
  validatePositiveSeconds('expire', options.expire);
  if (options.code !== undefined && !Number.isInteger(options.code)) throw new ValidationError('code', 'must be an integer');
  return {
    message: options.reason ?? `job [${jobId}] interrupted`,
    code: options.code ?? ErrorCode.INTERRUPT,
    stack: options.stack,
    type: 'JobInterrupted',
    throw: options.throw !== false,
  };
}

export async function interrupt(jobId: string, options: InterruptOptions = {}): Promise<string> {
  validateId('jobId', jobId);
  interruptError(jobId, options);
  const { run } = currentExecution('interrupt');
  const completion = await run.call({ kind: 'interrupt', name: jobId, input: { jobId, options } satisfies InterruptInput });
  if (!completion.ok) throw new Error(completion.error.message);
  return completion.value as string;
}
