/**
 * The durable-call contract: every kind of call workflow and hook code can ask the engine to make,
 * with its input and its result. Each call takes the thread's next seq and is identified by
 * (kind, name); replay compares both with the journal. Inputs live only in memory (the journal keeps
 * kind, name and result), so an input may carry a function reference (an inline activity).
 *
 * The worker executes calls through a table typed `{ [K in CallKind]: Executor<K> }`
 * (worker/calls/index.ts): adding a kind here without an executor there fails to compile.
 */
import type { ContextOpRequest } from '../context/context-op.js';

/** Retry fields shared by activity policies, a job's workflow-level config and worker defaults. */
export interface RetryFields {
  /** Retries after the first attempt (so N allows N + 1 executions). Default 3. */
  maximumAttempts?: number;
  /** Delay before retry n is min(backoffCoefficient^(n-1), maximumInterval) seconds. Default 10. */
  backoffCoefficient?: number;
  /** Cap on the delay between attempts. Default '120s'. */
  maximumInterval?: string | number;
}

/** An activity's retry policy. */
export interface ActivityRetryPolicy extends RetryFields {
  /** false: a failed activity returns its error object instead of throwing. Default true. */
  throwOnError?: boolean;
}

/** A job's workflow-level retry config (start/child `config`). */
export interface RetryConfig extends RetryFields {
  throwOnError?: boolean;
}

export type ActivityFunction = (...args: any[]) => unknown;

export interface InterruptOptions {
  /** Error message. Default 'job [<id>] interrupted'. */
  reason?: string;
  /** false: the job ends silently; result() resolves undefined. Default true. */
  throw?: boolean;
  /** Also interrupt descendant jobs. Default false. */
  descend?: boolean;
  /** Ignore "already completed". Default false. */
  suppress?: boolean;
  /** Seconds before the record is deleted. Default: kept. */
  expire?: number;
  /** Error code. Default 410. */
  code?: number;
  stack?: string;
}

export interface ChildCallInput {
  workflowId: string;
  workflowName: string;
  taskQueue: string;
  entity?: string;
  args: unknown[];
  expire?: number;
  config?: RetryConfig;
}

/** What each kind of call carries in (not journaled) and what its result is (journaled). */
export interface CallContract {
  /** A proxied activity; name = activity name. */
  activity: {
    input: {
      args: unknown[];
      retryPolicy?: ActivityRetryPolicy;
      /** Explicit placement: run on the activity workers of `<taskQueue>-activity`. */
      taskQueue?: string;
      /** The function the proxy was given for this name, if any (run inline). */
      fn?: ActivityFunction;
      /** Longest one attempt may run before it counts as failed (and is retried per policy). */
      startToCloseMs?: number;
    };
    result: unknown;
  };
  /** A durable timer; name = the duration as written. */
  sleep: { input: { ms: number; value: number }; result: number };
  /** waitFor(signalId, { timeout }); name = signal id. Without a timeout it waits for good. */
  wait: { input: { timeoutMs?: number }; result: unknown };
  /** signal(signalId, data); name = signal id; result = the message id. */
  signal: { input: { data: unknown; jobId?: string }; result: string };
  /** Start a hook thread; name = hook workflow name; result = the hook's thread id. */
  hook: {
    input: {
      workflowId: string;
      taskQueue: string;
      workflowName: string;
      args: unknown[];
      /** The hook's own retry policy (default: its job's). */
      config?: RetryConfig;
      /** Search fields written on the job with the hook's start, as stored (`_key`). */
      search?: Record<string, string>;
    };
    result: string;
  };
  /** execChild: start a child job and wait for its result; name = child workflow name. */
  child: { input: ChildCallInput; result: unknown };
  /** startChild: start a child job; name = child workflow name; result = its id. */
  start: { input: ChildCallInput; result: string };
  /** A context op; name = op. */
  context: { input: ContextOpRequest; result: unknown };
  /** A search-field op; name = op. */
  search: { input: { op: 'set' | 'get' | 'mget' | 'del' | 'incr' | 'mult'; arg: unknown }; result: unknown };
  /** Interrupt another job; name = its id; result = its id. */
  interrupt: { input: { jobId: string; options: InterruptOptions }; result: string };
  /** emit/trace, once; name = 'emit' | 'trace'. */
  emit: { input: { events?: Record<string, unknown>; attributes?: Record<string, unknown> }; result: true };
  /** patched(id): a marker that this run took the new code path; name = the patch id. */
  patch: { input: undefined; result: true };
}

export type CallKind = keyof CallContract;
export type CallInput<K extends CallKind> = CallContract[K]['input'];
export type CallResult<K extends CallKind> = CallContract[K]['result'];

/** A request for one call of kind K. */
export type CallRequestOf<K extends CallKind> = { kind: K; name: string } & (CallInput<K> extends undefined
  ? { input?: undefined }
  : { input: CallInput<K> });

export type CallRequest = { [K in CallKind]: CallRequestOf<K> }[CallKind];

/** A call as issued in one run. */
export type IssuedCallOf<K extends CallKind> = CallRequestOf<K> & { seq: number };
export type IssuedCall = { [K in CallKind]: IssuedCallOf<K> }[CallKind];

/**
 * Calls with an effect that must happen even when the function does not await them (a typed record,
 * so a new kind must say whether it is one).
 */
export const FIRE_AND_FORGET: { readonly [K in CallKind]: boolean } = {
  activity: false,
  sleep: false,
  wait: false,
  child: false,
  signal: true,
  hook: true,
  start: true,
  context: true,
  search: true,
  interrupt: true,
  emit: true,
  patch: true,
};

export function describeCall(kind: string, name: string): string {
  return `${kind}('${name}')`;
}
