/**
 * sleepFor: a durable timer. The thread suspends and holds nothing; the timer is a journal row with a
 * due time, and the thread's task becomes runnable at that time, even if no worker ran meanwhile.
 * Returns the duration in seconds (upstream's contract).
 */
import { parseDurationMs } from '../duration.js';
import { reviveFailure } from '../failure-codec.js';
import { currentExecution } from './execution.js';

export async function sleepFor(duration: string | number): Promise<number> {
  const ms = parseDurationMs(duration, 'duration');
  const { run } = currentExecution('sleepFor');
  const input = { ms, value: ms / 1000 }; // the call's result: the duration in seconds
  const completion = await run.call({ kind: 'sleep', name: String(duration), input });
  if (!completion.ok) throw reviveFailure(completion.error, 'sleep'); // handle.cancel(): a CancelledError
  return completion.value;
}
