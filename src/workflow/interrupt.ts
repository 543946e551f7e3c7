/**
 * interrupt(jobId, options): end another job now (typically a child started with startChild). Its
 * threads stop, result() waiters are told, and with `descend` its descendants end too. Happens once.
 */
import { interruptFailure, reviveFailure } from '../failure-codec.js';
import type { InterruptOptions } from '../replay/durable-call.js';
import { validateId } from '../validation.js';
import { currentExecution } from './execution.js';

export type { InterruptOptions } from '../replay/durable-call.js';

export async function interrupt(jobId: string, options: InterruptOptions = {}): Promise<string> {
  validateId('jobId', jobId);
  interruptFailure(jobId, options); // validates the options before the call takes a seq
  const { run } = currentExecution('interrupt');
  const completion = await run.call({ kind: 'interrupt', name: jobId, input: { jobId, options } });
  if (!completion.ok) throw reviveFailure(completion.error, 'interrupt');
  return completion.value;
}
