/**
 * `MemFlow.workflow.context()` (README name) = `entity()` (established name): the job's permanent JSON
 * record. Each op is one durable call: applied and journaled in one statement, so replay returns the
 * recorded result and never applies an op twice. Reads are journaled too.
 */
import { Context } from '../context/context-handle.js';
import { ContextTypeError, failureToError, PayloadTooLargeError, type SerializedError } from '../errors.js';
import { currentExecution } from './execution.js';

export async function context(): Promise<Context> {
  const { run } = currentExecution('context');
  return new Context(async (request) => {
    const completion = await run.call({ kind: 'context', name: request.op, input: request });
    if (!completion.ok) throw revive(completion.error, request.op, request.path.join('.'));
    return completion.value;
  });
}

export const entity = context;

/** A failed op is journaled like any result; replay throws the same typed error again. */
function revive(error: SerializedError, op: string, path: string): Error {
  if (error.type === 'ContextTypeError') {
    const found = /a (\w+)$/.exec(error.message)?.[1] ?? 'value';
    return new ContextTypeError(op, path, found);
  }
  if (error.type === 'PayloadTooLargeError') return Object.assign(new PayloadTooLargeError('context', 0, 0), { message: error.message });
  return failureToError(error, 'fatal');
}
