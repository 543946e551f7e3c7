/**
 * Runs one activity attempt in this process: outside the workflow's scope, with its own activity
 * context (idempotency key, attempt), catching whatever it throws.
 */
import { type SerializedError, serializeError } from '../errors.js';
import { findActivity } from '../workflow/activity-registry.js';
import { type ActivityContext, runActivityScope } from './execution-scope.js';

export type AttemptResult = { ok: true; value: unknown } | { ok: false; error: SerializedError };

export async function runActivityAttempt(name: string, args: unknown[], context: ActivityContext): Promise<AttemptResult> {
  const fn = findActivity(name);
  if (!fn) {
    return { ok: false, error: serializeError(new Error(`Activity '${name}' is not registered in this worker process`)) };
  }
  try {
    const value = await runActivityScope(context, () => fn.apply(null, args));
    return { ok: true, value };
  } catch (err) {
    return { ok: false, error: serializeError(err) };
  }
}
