/**
 * Signals: named, buffered messages. Inside a job, `signal` goes to that job (so two runs of the same
 * code with the same signal ids never cross-deliver) and `waitFor` takes the oldest signal with that
 * id sent to this job, or to the whole app. A signal sent before anyone waits is kept, and consumed once.
 */
import { parseDurationMs } from '../duration.js';
import { ValidationError } from '../errors.js';
import { reviveFailure } from '../failure-codec.js';
import { encodeJson } from '../json-value.js';
import { validateId } from '../validation.js';
import { currentExecution } from './execution.js';

export interface WaitForOptions {
  /**
   * Give up after this long (a duration string or milliseconds): waitFor then throws a
   * WaitTimeoutError (code 596) and its waiter is retired in the same statement, so a signal sent
   * later is kept for the next waitFor. Default: wait for good.
   */
  timeout?: string | number;
}

/**
 * Wait for the signal `signalId` sent to this job (or to the whole app), and return its data.
 *
 * Racing a waitFor against something else (`Promise.race([waitFor(id), sleepFor(t)])`) leaves the
 * losing waitFor registered: the next signal with that id goes to it, and code that waits for the
 * same id again never sees it. Use `waitFor(id, { timeout })` for "this, or give up after t".
 */
export async function waitFor<T = unknown>(signalId: string, options: WaitForOptions = {}): Promise<T> {
  validateId('signalId', signalId);
  if (options === null || typeof options !== 'object') throw new ValidationError('waitFor options', 'must be an object');
  const timeoutMs = options.timeout === undefined ? undefined : parseDurationMs(options.timeout, 'timeout');
  const { run } = currentExecution('waitFor');
  const completion = await run.call({ kind: 'wait', name: signalId, input: timeoutMs === undefined ? {} : { timeoutMs } });
  if (!completion.ok) throw reviveFailure(completion.error, 'wait');
  return completion.value as T;
}

/** Send `data` to waiters of `signalId` in this job. Returns the signal's message id. */
export async function signal(signalId: string, data: unknown): Promise<string> {
  validateId('signalId', signalId);
  encodeJson('signal data', data);
  const { run } = currentExecution('signal');
  const completion = await run.call({ kind: 'signal', name: signalId, input: { data } });
  return completion.ok ? completion.value : '';
}
