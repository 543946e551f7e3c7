/**
 * Input rules, checked before any SQL runs. Each failure is a {@link ValidationError} naming the field
 * and the rule. Names that become SQL identifiers (only the appId) are checked again, and quoted, by
 * `storage/sql-identifier.ts`; everything here travels as bound parameters.
 */
import { parseDurationMs } from './duration.js';
import { ValidationError } from './errors.js';

const RESERVED_KEYS: readonly string[] = ['__proto__', 'constructor', 'prototype'];
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function requireString(field: string, value: unknown): string {
  if (typeof value !== 'string') throw new ValidationError(field, `must be a string (got ${typeof value})`);
  return value;
}

/** Free-form ids (workflowId, signalId): 1-255 UTF-8 bytes, no control characters, valid Unicode. */
export function validateId(field: string, value: unknown): string {
  const s = requireString(field, value);
  if (s.length === 0) throw new ValidationError(field, 'must not be empty');
  if (Buffer.byteLength(s) > 255) throw new ValidationError(field, 'must be at most 255 bytes');
  if (CONTROL_CHARS.test(s)) throw new ValidationError(field, 'must not contain control characters (NUL, newline, ...)');
  if (LONE_SURROGATE.test(s)) throw new ValidationError(field, 'must be valid Unicode (no lone surrogates)');
  return s;
}

/**
 * An options object: a plain object whose keys are all known. A misspelled option (`fork({ from: 1 })`,
 * `cancel({ reasn })`) is refused rather than dropped, so it never does what it was not asked to.
 */
export function validateOptions<T extends object>(field: string, options: unknown, known: readonly (keyof T & string)[]): Partial<T> {
  if (options === undefined || options === null) return {};
  if (typeof options !== 'object' || Array.isArray(options)) throw new ValidationError(field, 'must be an object');
  for (const key of Object.keys(options)) {
    if (!known.includes(key as keyof T & string)) throw new ValidationError(field, `unknown option '${key}' (known: ${known.join(', ')})`);
  }
  return options as Partial<T>;
}

/** Free text stored as given (an operator's reason): no NUL, valid Unicode (jsonb refuses both). */
export function validateText(field: string, value: unknown, maxLength: number): string {
  const s = requireString(field, value);
  if (s.length > maxLength) throw new ValidationError(field, `must be at most ${maxLength} characters`);
  if (s.includes('\u0000')) throw new ValidationError(field, 'must not contain NUL');
  if (LONE_SURROGATE.test(s)) throw new ValidationError(field, 'must be valid Unicode (no lone surrogates)');
  return s;
}

const TASK_QUEUE = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;
// The app's NOTIFY channel carries a topic (which starts with the task queue), `done:<jobId>` and
// `emit:<json>` (engine.ts subscribe): a queue named 'done:x' would have every wake-up of its workers
// read as "job x-... finished". Refused in any case, so a case-insensitive parser stays safe too.
const RESERVED_CHANNEL_PREFIX = /^(done|emit):/i;

/**
 * Task queues: letters, digits, `_ . : -`, starting with a letter or digit, at most 128 characters,
 * and not starting with `done:` or `emit:`.
 */
/** An optional flag: absent, or a boolean ('no' was taken as true, or as false, silently). */
export function validateFlag(field: string, value: unknown): boolean | undefined {
  if (value !== undefined && typeof value !== 'boolean') throw new ValidationError(field, `must be a boolean (got ${describe(value)})`);
  return value;
}

/** Activities to register: an object of functions, or one named function (`required`: not absent either). */
export function validateActivities(field: string, value: unknown, required: boolean): void {
  if (value === undefined && !required) return;
  if (typeof value === 'function') return;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ValidationError(field, `must be an object of activity functions (or one named function), not ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`);
  }
}

export function validateTaskQueue(value: unknown, field = 'taskQueue'): string {
  const s = requireString(field, value);
  if (!TASK_QUEUE.test(s)) {
    throw new ValidationError(field, 'must match /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/');
  }
  if (RESERVED_CHANNEL_PREFIX.test(s)) {
    throw new ValidationError(field, "must not start with 'done:' or 'emit:' (reserved for the app channel's job-done and emit messages)");
  }
  return s;
}

const FUNCTION_NAME = /^[A-Za-z_$][A-Za-z0-9_$]{0,127}$/;

/**
 * Workflow, hook and activity names: a JavaScript identifier of at most 128 characters (so no `-`:
 * upstream recovers the name from the topic by splitting on `-`), and never `__proto__`,
 * `constructor` or `prototype`.
 */
export function validateFunctionName(value: unknown, field = 'workflowName'): string {
  const s = requireString(field, value);
  if (!FUNCTION_NAME.test(s)) {
    throw new ValidationError(field, 'must be a JavaScript identifier of at most 128 characters (no "-")');
  }
  if (RESERVED_KEYS.includes(s)) throw new ValidationError(field, `must not be '${s}'`);
  return s;
}

/**
 * A workflow or hook function's name (or an entity's, which names its function): a function name,
 * and not `activity`, whose topic `<taskQueue>-activity` is where the remote activities of queue
 * `<taskQueue>` are claimed (src/topics.ts): a worker would receive tasks of the other kind there.
 */
export function validateWorkflowName(value: unknown, field = 'workflowName'): string {
  const s = validateFunctionName(value, field);
  if (s === 'activity') {
    throw new ValidationError(field, "must not be 'activity' (its topic '<taskQueue>-activity' is the remote activities' topic of that queue)");
  }
  return s;
}

/**
 * Where a start, a child or a hook goes (one rule for all three, docs/design-decisions.md): with a
 * `taskQueue`, that queue and `workflowName`; with only an `entity`, the entity for both.
 */
export function validateRoute(options: { taskQueue?: unknown; workflowName?: unknown }, entity: unknown): { taskQueue: string; workflowName: string } {
  const taskQueue = validateTaskQueue(options.taskQueue ?? entity, 'taskQueue');
  const workflowName = validateWorkflowName(options.taskQueue ? options.workflowName : (entity ?? options.workflowName), 'workflowName');
  return { taskQueue, workflowName };
}

export function validateArgs(value: unknown, field = 'args'): unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new ValidationError(field, 'must be an array');
  return value;
}

/**
 * The most seconds an `expire` may be: about 158,000 years. PostgreSQL's intervals hold up to about
 * 9.2e12 seconds and its timestamps end in 294276 AD; past them, a start with `expire: 1e13` was
 * accepted, its workflow ran, and the statement that ends it was refused ("timestamp out of range").
 * Long expiries that work (`1e10` as "keep it") stay accepted.
 */
export const MAX_EXPIRE_SECONDS = 5e12;

/** A number of seconds (an `expire`), 0 to MAX_EXPIRE_SECONDS. */
export function validatePositiveSeconds(field: string, value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new ValidationError(field, 'must be a non-negative number of seconds');
  }
  if (value > MAX_EXPIRE_SECONDS) throw new ValidationError(field, `must be at most ${MAX_EXPIRE_SECONDS} seconds (about 158,000 years; got ${value})`);
  return value;
}

/** A count or a position that PostgreSQL holds as a bigint and JavaScript as an exact number. */
export function validateNonNegativeInteger(field: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new ValidationError(field, `must be a non-negative whole number up to ${Number.MAX_SAFE_INTEGER} (got ${describe(value)})`);
  }
  return value;
}

/**
 * A retry policy as a caller gives it (a start's or a child's `config`, a proxy's `retryPolicy`, a
 * worker's defaults), checked before anything is stored or run: a field that would make the policy
 * unusable (`maximumAttempts: 'x'`, `maximumInterval: 'soon'`) is a ValidationError naming it. Left
 * to the run that uses it, it failed there, on every claim, and the job never ended.
 */
/** The fields of a retry policy as a caller may give them (replay/durable-call.ts RetryFields, unchecked). */
interface RetryInput {
  maximumAttempts?: unknown;
  backoffCoefficient?: unknown;
  maximumInterval?: unknown;
  throwOnError?: unknown;
}

export function validateRetry<T extends RetryInput>(field: string, value: T | undefined | null): T | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw new ValidationError(field, 'must be an object');
  const { maximumAttempts, backoffCoefficient, maximumInterval, throwOnError } = value;
  // The policy reads each field as resolveRetry does (worker/retry-policy.ts): a falsy one (0, '',
  // false) inherits the next level, as upstream's `||`; a number may come as a numeric string. NaN is
  // falsy too, but it is a number that is not one: refused, as a start's config refuses it (a
  // black-box pass found a proxy's and a worker's policy taking it silently).
  const attempts = asNumber(maximumAttempts);
  if ((maximumAttempts || Number.isNaN(maximumAttempts)) && !(Number.isInteger(attempts) && attempts >= 0)) {
    throw new ValidationError(`${field}.maximumAttempts`, `must be a whole number of retries, 0 or more (got ${describe(maximumAttempts)})`);
  }
  const coefficient = asNumber(backoffCoefficient);
  if ((backoffCoefficient || Number.isNaN(backoffCoefficient)) && !(Number.isFinite(coefficient) && coefficient >= 0)) {
    throw new ValidationError(`${field}.backoffCoefficient`, `must be a finite number, 0 or more (got ${describe(backoffCoefficient)})`);
  }
  if (maximumInterval) {
    parseDurationMs(maximumInterval, `${field}.maximumInterval`, 'seconds');
  }
  if (throwOnError !== undefined && typeof throwOnError !== 'boolean') {
    throw new ValidationError(`${field}.throwOnError`, `must be a boolean (got ${describe(throwOnError)})`);
  }
  return value;
}

/** A number, or a string that is one (what Number() makes of it); NaN for anything else. */
function asNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '') return Number(value);
  return Number.NaN;
}

function describe(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : typeof value === 'number' ? String(value) : typeof value;
}

export { RESERVED_KEYS };
