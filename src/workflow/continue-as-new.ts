/**
 * continueAsNew: end this run of the thread and start it over with new arguments, on the same job.
 * The thread's journal is dropped (so a loop that runs for months keeps a short one); the job's
 * context, its search fields and its other threads carry over unchanged. What the run left pending
 * goes with it: timers, signal waits and remote activities are dropped, and awaited children finish
 * on their own (their results are no longer delivered to this thread).
 *
 * It throws a ContinueAsNew, which ends the run: let it propagate (catching it keeps the run going,
 * and nothing starts over).
 */
import { ContinueAsNew } from '../errors.js';
import { encodeJson } from '../json-value.js';
import { currentExecution } from './execution.js';

export async function continueAsNew(...args: unknown[]): Promise<never> {
  currentExecution('continueAsNew');
  encodeJson('continueAsNew arguments', args); // refuses what cannot be stored, before anything ends
  throw new ContinueAsNew(args);
}
