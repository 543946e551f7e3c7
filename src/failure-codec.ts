/**
 * The failure codec: the one place where something thrown becomes a stored failure, and where a
 * stored failure becomes an error again. Workflow code never inspects `type` strings itself: it asks
 * `reviveFailure(failure, site)` and gets the class the contract promises at that call site.
 *
 * - Typed engine errors (a context type clash, an oversized payload, a duplicate child id) carry
 *   their fields in `details` and are rebuilt as their own class where the site promises that class.
 * - Everything else is revived by its upstream code: 597 MemFlowMaxedError, 596 MemFlowTimeoutError,
 *   598 MemFlowFatalError, and otherwise the site's fallback (memflow-api.md §4.4, §5.1, §5.5).
 */
import {
  CancelledError,
  ContextTypeError,
  DuplicateJobError,
  ErrorCode,
  type HotMeshError,
  isHotMeshError,
  MemFlowFatalError,
  MemFlowMaxedError,
  MemFlowRetryError,
  MemFlowTimeoutError,
  NonDeterminismError,
  PayloadTooLargeError,
  type StoredFailure,
  ValidationError,
  WaitTimeoutError,
} from './errors.js';
import type { InterruptOptions } from './replay/durable-call.js';
import { validateFlag, validateOptions, validatePositiveSeconds, validateText } from './validation.js';

/** Where a failure is revived: the durable call that delivered it. */
export type FailureSite = 'activity' | 'search' | 'context' | 'child' | 'start' | 'hook' | 'hookFailure' | 'interrupt' | 'wait' | 'sleep';

/**
 * fatal: any other code is a MemFlowFatalError; retry: a MemFlowRetryError; plain: a plain Error with
 * the failure's name and code, 598 included; terminal: 598 a MemFlowFatalError, any other code plain.
 */
type Fallback = 'fatal' | 'retry' | 'plain' | 'terminal';

/** What each site gives back for a failure with no terminal code and no typed revival. */
const FALLBACK: { readonly [S in FailureSite]: Fallback } = {
  activity: 'fatal',
  search: 'fatal',
  context: 'fatal',
  child: 'retry',
  start: 'plain',
  hook: 'plain',
  // the failure a hook that failed for good sends its execHook: the typed class for 598 (a black-box
  // pass: a plain Error named MemFlowFatalError came back), the interrupt's 410 as a plain Error
  hookFailure: 'terminal',
  interrupt: 'plain',
  wait: 'plain',
  sleep: 'plain',
};

/** Every site that waits: where handle.cancel() delivers its CancelledError (revived as such). */
const CANCELLABLE_SITES: readonly FailureSite[] = ['activity', 'child', 'wait', 'sleep'];

/** Typed engine errors, rebuilt from their details, and the sites that promise them. */
const TYPED: { readonly [type: string]: { sites: readonly FailureSite[]; build(d: Record<string, any>): HotMeshError } } = {
  ContextTypeError: { sites: ['context'], build: (d) => new ContextTypeError(String(d.op), String(d.path), String(d.found)) },
  PayloadTooLargeError: { sites: ['context'], build: (d) => new PayloadTooLargeError(String(d.field), Number(d.bytes), Number(d.limit)) },
  DuplicateJobError: { sites: ['child', 'start'], build: (d) => new DuplicateJobError(String(d.jobId)) },
  WaitTimeoutError: { sites: ['wait'], build: (d) => new WaitTimeoutError(String(d.signalId), Number(d.timeoutMs)) },
  CancelledError: { sites: CANCELLABLE_SITES, build: (d) => new CancelledError(String(d.jobId), typeof d.reason === 'string' ? d.reason : null) },
};

/** Codes that end a workflow at once, with no workflow-level retry. */
export function isTerminalCode(code: number | undefined): boolean {
  return code === ErrorCode.TIMEOUT || code === ErrorCode.MAXED || code === ErrorCode.FATAL;
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * Text jsonb can store: NUL becomes the visible escape `\u0000` and a lone surrogate U+FFFD. (V8's
 * JSON.parse errors quote the raw input, NUL included; jsonb refuses it with 22P05.)
 */
function storable(text: string): string {
  return text.replace(/\u0000/g, '\\u0000').replace(LONE_SURROGATE, '\ufffd');
}

/** `details` made storable the same way, keys and string values at every depth. */
function storableDetails(value: unknown): unknown {
  if (typeof value === 'string') return storable(value);
  if (Array.isArray(value)) return value.map(storableDetails);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [storable(k), storableDetails(v)]));
  }
  return value;
}

/** What was thrown, as text: String() of it, unless even that throws (`Object.create(null)`). */
function describeThrown(err: unknown): string {
  try {
    return String(err);
  } catch {
    return `a thrown ${typeof err} that cannot be made into a string`;
  }
}

/** Turn anything thrown into its stored form. Always storable as jsonb (details included). */
export function toFailure(err: unknown): StoredFailure {
  const timestamp = new Date().toISOString();
  if (!(err instanceof Error)) {
    // a thrown object that is not an Error ({ message, code }) keeps its message, stack and code
    const o = (typeof err === 'object' && err !== null ? err : {}) as { message?: unknown; code?: unknown; stack?: unknown };
    const message = typeof o.message === 'string' ? o.message : describeThrown(err);
    const code = typeof o.code === 'number' && Number.isInteger(o.code) ? o.code : ErrorCode.RETRY;
    const stack = typeof o.stack === 'string' ? storable(o.stack) : undefined;
    return { type: 'Error', name: 'Error', code, message: storable(message), stack, retryable: !isTerminalCode(code), timestamp };
  }
  const raw = (err as { code?: unknown }).code;
  const code = typeof raw === 'number' ? raw : ErrorCode.RETRY;
  const typed = isHotMeshError(err);
  const failure: StoredFailure = {
    message: storable(err.message),
    name: storable(err.name),
    type: typed ? err.kind : storable(err.name),
    code,
    stack: err.stack === undefined ? undefined : storable(err.stack),
    retryable: !isTerminalCode(code) && !(typed && !err.retryable),
    timestamp,
  };
  const details = typed ? err.details : undefined;
  // Fix: details were stored as given; a ValidationError quoting user input (sleepFor('5\u0000 s'))
  // carried a raw NUL in `details.rule`, and the statement that ends the run was refused (22P05).
  if (details) failure.details = storableDetails(details) as Record<string, unknown>;
  return failure;
}

/**
 * The failure of a run (or an activity call) whose closing statement the database refused for its
 * data (SQLSTATE class 22, or the engine's own HM codes): the same statement would be refused on every
 * attempt, so the run ends with 598, naming the statement and the database's error.
 */
export function refusedStatementFailure(statement: string, err: unknown): StoredFailure {
  const e = (err ?? {}) as { code?: unknown; message?: unknown; detail?: unknown };
  const detail = typeof e.detail === 'string' && e.detail ? ` (${e.detail})` : '';
  const message = `${statement} was refused by the database, SQLSTATE ${String(e.code)}: ${String(e.message)}${detail}`;
  const failure = toFailure(Object.assign(new Error(message), { name: 'MemFlowFatalError' }));
  return withCode(failure, ErrorCode.FATAL, 'MemFlowFatalError');
}

/** The same failure with another code (a call or a run that must end now: 598 fatal, 597 maxed, ...). */
export function withCode(failure: StoredFailure, code: number, type?: string): StoredFailure {
  return { ...failure, code, retryable: !isTerminalCode(code) && failure.retryable !== false, ...(type ? { type } : {}) };
}

function byCode(failure: StoredFailure, fallback: Fallback): Error {
  switch (failure.code) {
    case ErrorCode.MAXED:
      return new MemFlowMaxedError(failure.message, failure.stack);
    case ErrorCode.TIMEOUT:
      return new MemFlowTimeoutError(failure.message, failure.stack);
    case ErrorCode.FATAL:
      if (fallback !== 'plain') return new MemFlowFatalError(failure.message, failure.stack);
  }
  if (fallback === 'fatal') return new MemFlowFatalError(failure.message, failure.stack);
  if (fallback === 'retry') return new MemFlowRetryError(failure.message, failure.stack);
  return Object.assign(new Error(failure.message), { name: failure.type ?? failure.name ?? 'Error', code: failure.code, stack: failure.stack });
}

/** Rebuild the error a stored failure stands for, as the call at `site` promises it. */
export function reviveFailure(failure: StoredFailure, site: FailureSite): Error {
  const typed = failure.type !== undefined && Object.hasOwn(TYPED, failure.type) ? TYPED[failure.type] : undefined;
  if (typed && failure.details && typed.sites.includes(site)) {
    const error = typed.build(failure.details);
    error.message = failure.message;
    if (failure.stack) error.stack = failure.stack;
    return error;
  }
  return byCode(failure, FALLBACK[site]);
}

/**
 * The classes a stored failure's `name` rebuilds as the cause of a WorkflowFailedError. Those built
 * from `details` (typed engine errors) are only built when the failure has them.
 */
const FROM_DETAILS: { readonly [name: string]: (d: Record<string, any>) => Error } = {
  ...Object.fromEntries(Object.entries(TYPED).map(([name, t]) => [name, (d: Record<string, any>) => t.build(d)])),
  ValidationError: (d) => new ValidationError(String(d.field), String(d.rule)),
  // a parked job's result() rejection (593): the divergence itself, with its seq and both calls
  NonDeterminismError: (d) => new NonDeterminismError(String(d.jobId), String(d.thread), Number(d.seq), String(d.recorded), String(d.attempted)),
};
const CAUSES: { readonly [name: string]: (f: StoredFailure) => Error } = {
  MemFlowFatalError: (f) => new MemFlowFatalError(f.message),
  MemFlowMaxedError: (f) => new MemFlowMaxedError(f.message),
  MemFlowTimeoutError: (f) => new MemFlowTimeoutError(f.message),
  MemFlowRetryError: (f) => new MemFlowRetryError(f.message),
  Error: (f) => new Error(f.message),
  TypeError: (f) => new TypeError(f.message),
  RangeError: (f) => new RangeError(f.message),
  ReferenceError: (f) => new ReferenceError(f.message),
  SyntaxError: (f) => new SyntaxError(f.message),
};

/**
 * The error a job failed with, rebuilt for `WorkflowFailedError.cause` (README: "the original error as
 * cause"): the class that was thrown where this build knows it (a HotMesh or MemFlow class, a built-in
 * JavaScript error), else an Error of that name; with its message and stack, and every stored field
 * (`type`, `code`, `retryable`, `details`, ...) the class does not have already.
 */
export function failureCause(failure: StoredFailure): Error {
  const name = failure.name ?? failure.type ?? 'Error';
  const fromDetails = failure.details && Object.hasOwn(FROM_DETAILS, name) ? FROM_DETAILS[name] : undefined;
  const build = Object.hasOwn(CAUSES, name) ? CAUSES[name] : undefined;
  const error = fromDetails ? fromDetails(failure.details!) : build ? build(failure) : Object.assign(new Error(failure.message), { name });
  error.message = failure.message;
  if (failure.stack !== undefined) error.stack = failure.stack;
  for (const [key, value] of Object.entries(failure)) if (value !== undefined && !(key in error)) Object.defineProperty(error, key, { value, enumerable: true, writable: true, configurable: true });
  return error;
}

/** What an interrupted job stores as its error (`throw: false` makes result() resolve undefined). */
export function interruptFailure(jobId: string, given: InterruptOptions): StoredFailure & { throw: boolean } {
  if (given === null) throw new ValidationError('interrupt options', 'must be an object'); // validateOptions takes null for {}
  const options = validateOptions<InterruptOptions>('interrupt options', given, ['reason', 'throw', 'descend', 'suppress', 'expire', 'code', 'stack']);
  validatePositiveSeconds('expire', options.expire);
  for (const flag of ['throw', 'descend', 'suppress'] as const) validateFlag(flag, options[flag]);
  if (options.reason !== undefined) validateText('reason', options.reason, 64 * 1024);
  if (options.stack !== undefined) validateText('stack', options.stack, 64 * 1024);
  if (options.code !== undefined && !Number.isInteger(options.code)) throw new ValidationError('code', 'must be an integer');
  return {
    message: options.reason ?? `job [${jobId}] interrupted`,
    code: options.code ?? ErrorCode.INTERRUPT,
    stack: options.stack,
    type: 'JobInterrupted',
    throw: options.throw !== false,
  };
}
