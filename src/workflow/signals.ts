/**
 * Signals: named, buffered messages. Inside a job, `signal` goes to that job (so two runs of the same
 * code with the same signal ids never cross-deliver) and `waitFor` takes the oldest signal with that
 * id sent to this job, or to the whole app. A signal sent before anyone waits is kept, and consumed once.
 */
import { encodeJson } from '../json-value.js';
import { validateId } from '../validation.js';
import { currentExecution } from './execution.js';

export async function waitFor<T = unknown>(signalId: string): Promise<T> {
  validateId('signalId', signalId);
  const { run } = currentExecution('waitFor');
  const completion = await run.call({ kind: 'wait', name: signalId });
  return (completion.ok ? completion.value : undefined) as T;
}

/** Send `data` to waiters of `signalId` in this job. Returns the signal's message id. */
export async function signal(signalId: string, data: unknown): Promise<string> {
  validateId('signalId', signalId);
  encodeJson('signal data', data);
  const { run } = currentExecution('signal');
  const completion = await run.call({ kind: 'signal', name: signalId, input: { data } });
  return completion.ok ? completion.value : '';
}
