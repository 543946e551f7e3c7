/**
 * `MemFlow.workflow.context()` (README name) = `entity()` (established name): the job's permanent JSON
 * record. Each op is one durable call: applied and journaled in one statement, so replay returns the
 * recorded result and never applies an op twice. Reads are journaled too. A failed op is journaled
 * like any result; replay throws the same typed error again.
 */
import { Context } from '../context/context-handle.js';
import { reviveFailure } from '../failure-codec.js';
import { currentExecution } from './execution.js';

export async function context(): Promise<Context> {
  const { run } = currentExecution('context');
  return new Context(async (request) => {
    const completion = await run.call({ kind: 'context', name: request.op, input: request });
    if (!completion.ok) throw reviveFailure(completion.error, 'context');
    return completion.value;
  });
}

export const entity = context;
