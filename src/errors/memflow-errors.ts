/**
 * The MemFlow classes of the established API, with their upstream codes. Terminal ones carry a `type`
 * equal to their class name; the control ones are kept for compatibility (this engine suspends
 * without throwing).
 */
// BRAND: in scope for the declarations of the classes terminal() and control() build
import { type BRAND, ErrorCode, HotMeshError, isHotMeshError } from './base.js';

abstract class MemFlowError extends HotMeshError {
  abstract readonly code: number;
}

function terminal(code: number) {
  return class extends MemFlowError {
    readonly code = code;
    readonly type: string;
    constructor(message: string, stack?: string) {
      super(message);
      this.type = new.target.name;
      if (stack) this.stack = stack;
    }
  };
}

/** Do not retry: thrown by user code, or raised when an activity failed for good. */
export class MemFlowFatalError extends terminal(ErrorCode.FATAL) {}
/** Retries exhausted. */
export class MemFlowMaxedError extends terminal(ErrorCode.MAXED) {}
/** Thrown by user code to fail at once with a timeout code; the engine never raises it itself. */
export class MemFlowTimeoutError extends terminal(ErrorCode.TIMEOUT) {}

/**
 * `waitFor(signalId, { timeout })` ran out of time before the signal came (code 596: uncaught, it
 * fails the workflow at once). The waiter is retired with it: a later signal is kept for the next wait.
 */
export class WaitTimeoutError extends MemFlowTimeoutError {
  constructor(
    readonly signalId: string,
    readonly timeoutMs: number,
  ) {
    super(`waitFor('${signalId}') timed out after ${timeoutMs} ms`);
  }
  override get details(): Record<string, unknown> {
    return { signalId: this.signalId, timeoutMs: this.timeoutMs };
  }
}

/** The default, retryable failure. */
export class MemFlowRetryError extends terminal(ErrorCode.RETRY) {}

function control(code: number) {
  return class extends MemFlowError {
    readonly code = code;
    /**
     * A message, or (as upstream builds them) the suspension's fields, kept as own fields: a waitFor's
     * `{ signalId, index, workflowDimension }` (catalog §6). A field named as one of the error's own
     * (code, name, message) is not taken.
     */
    constructor(details: string | Record<string, unknown> = 'MemFlow suspension') {
      super(typeof details === 'string' ? details : 'MemFlow suspension');
      if (typeof details === 'object' && details !== null) {
        for (const [key, value] of Object.entries(details)) {
          if (!(key in this)) Object.defineProperty(this, key, { value, enumerable: true, writable: true, configurable: true });
        }
      }
    }
  };
}

/** Kept for API compatibility: this engine suspends without throwing, so users never see these. */
export class MemFlowSleepError extends control(ErrorCode.SLEEP) {}
export class MemFlowWaitForAllError extends control(ErrorCode.WAIT_FOR_ALL) {}
export class MemFlowChildError extends control(ErrorCode.CHILD) {}
export class MemFlowProxyError extends control(ErrorCode.PROXY) {}
export class MemFlowWaitForError extends control(ErrorCode.WAIT_FOR) {
  declare readonly signalId?: string;
  declare readonly index?: number;
  declare readonly workflowDimension?: string;
}

const MEMFLOW_KINDS: readonly string[] = [
  'MemFlowFatalError',
  'MemFlowMaxedError',
  'MemFlowTimeoutError',
  'MemFlowRetryError',
  'MemFlowSleepError',
  'MemFlowWaitForAllError',
  'MemFlowChildError',
  'MemFlowProxyError',
  'MemFlowWaitForError',
  // a MemFlowTimeoutError (code 596) of its own kind: it is one of the nine, so it counts as one
  'WaitTimeoutError',
];

/** True for the nine MemFlow classes (terminal ones included, and their subclasses), as upstream's `didInterrupt`. */
export function didInterrupt(err: unknown): boolean {
  return isHotMeshError(err) && MEMFLOW_KINDS.includes(err.kind);
}
