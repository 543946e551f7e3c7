/**
 * The root of the error hierarchy: the upstream numeric codes, HotMeshError with its brand (checked by
 * isHotMeshError, which holds across two loaded copies of the package), and the stored shape of a failure.
 */

/** The brand every HotMeshError carries (internal: the package's index does not export it). */
export const BRAND = Symbol.for('hotmesh.error');

/** Upstream numeric codes, kept for users migrating from the established API. */
export const ErrorCode = {
  SLEEP: 588,
  WAIT_FOR_ALL: 589,
  CHILD: 590,
  PROXY: 591,
  NON_DETERMINISM: 593,
  WAIT_FOR: 595,
  TIMEOUT: 596,
  MAXED: 597,
  FATAL: 598,
  RETRY: 599,
  NOT_FOUND: 404,
  INTERRUPT: 410,
  /**
   * `handle.cancel()`: the workflow's durable wait threw a CancelledError, and the workflow did not
   * catch it (the job ends `cancelled`; `result()` rejects with a WorkflowFailedError of this code).
   */
  CANCELLED: 499,
} as const;

export class HotMeshError extends Error {
  readonly [BRAND] = true;
  /** Stable machine-readable kind, equal to the class name. */
  readonly kind: string;
  /** false: running the same code again cannot succeed (bad input or bad data). */
  get retryable(): boolean {
    return true;
  }
  /** The fields the error is rebuilt from when a stored failure is revived (see reviveFailure). */
  get details(): Record<string, unknown> | undefined {
    return undefined;
  }
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.kind = new.target.name;
    this.name = new.target.name;
  }
  /**
   * Its kind, then the kinds of the classes it extends (a PayloadTooLargeError is a ValidationError
   * too). A getter: not an own field, so not in the error's JSON.
   */
  get kinds(): readonly string[] {
    const out: string[] = [];
    for (let p = Object.getPrototypeOf(this); p && p !== Error.prototype; p = Object.getPrototypeOf(p)) out.push(p.constructor.name);
    return out;
  }
}

/** A HotMesh error, of `kind` or of a kind that extends it (`isHotMeshError(tooLarge, 'ValidationError')`). */
export function isHotMeshError(err: unknown, kind?: string): err is HotMeshError {
  const branded = typeof err === 'object' && err !== null && (err as Record<symbol, unknown>)[BRAND] === true;
  if (!branded || kind === undefined) return branded;
  const e = err as HotMeshError;
  return e.kind === kind || (Array.isArray(e.kinds) && e.kinds.includes(kind));
}

/**
 * What a failure looks like when stored (a journal row's result, `jobs.error`): enough to revive it
 * as the right error class in any process (see failure-codec.ts). Rows written by SQL (an interrupt)
 * or by older versions may lack fields, so readers treat every field but `message` as optional.
 */
export interface StoredFailure {
  message: string;
  /** The class of what was thrown: a HotMesh kind ('ContextTypeError') or the JS name ('TypeError'). */
  type?: string;
  /** Upstream numeric code: 596 timeout, 597 maxed, 598 fatal, 599 retryable (the default), ... */
  code?: number;
  stack?: string;
  /** false: running the same code again cannot succeed (bad input or data, or a terminal code). */
  retryable?: boolean;
  /** The fields a typed engine error is rebuilt from (a ContextTypeError's op, path and found, ...). */
  details?: Record<string, unknown>;
  /** The thrown error's `name` (upstream tools read it). */
  name?: string;
  timestamp?: string;
}

/** The earlier name of StoredFailure. */
export type SerializedError = StoredFailure;
