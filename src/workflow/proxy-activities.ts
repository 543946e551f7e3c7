/**
 * proxyActivities: each call of a proxied function is one durable step. Activities registered in this
 * process run inline on the worker that runs the thread; the result is journaled and never run again
 * once it committed. Failures retry per the retry policy; when retries run out the workflow gets a
 * MemFlowFatalError (or, with `throwOnError: false`, the plain error object).
 */
import { callAsPromise } from '../call-as-promise.js';
import { parseDurationMs } from '../duration.js';
import { isHotMeshError } from '../errors.js';
import { reviveFailure } from '../failure-codec.js';
import type { ActivityFunction, ActivityRetryPolicy, CallInput } from '../replay/durable-call.js';
import { RESERVED_KEYS, validateActivities, validateFunctionName, validateRetry } from '../validation.js';
import { currentExecution, processActivities } from './execution.js';
import { withActivityInterceptors } from './interceptors.js';

export type { ActivityRetryPolicy } from '../replay/durable-call.js';

export interface ActivityConfig<A = object> {
  /**
   * The functions this proxy calls (run inline by the worker that runs the thread). Also registered
   * by name: process-wide when the proxy is made, and in the runtime that runs the call, so activity
   * workers there find them (the first registration of a name wins in each registry).
   */
  activities?: A;
  /** Route calls to activity workers of this queue (registerActivityWorker). */
  taskQueue?: string;
  retryPolicy?: ActivityRetryPolicy;
  /** Accepted for compatibility. */
  expire?: number;
  /**
   * Longest one attempt may run (a duration string or ms). Past it the attempt counts as failed and
   * is retried per the policy; its late result is discarded. Default: no limit.
   */
  startToCloseTimeout?: string | number;
}

type Promisified<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : never;
} & Record<string, (...args: any[]) => Promise<any>>; // any name: activities may be registered elsewhere (or as a default export)

export function proxyActivities<A extends object = Record<string, (...args: any[]) => any>>(
  options: ActivityConfig<A> = {},
): Promisified<A> {
  validateRetry('retryPolicy', options.retryPolicy);
  validateActivities('activities', options.activities, false);
  processActivities()?.register(options.activities);
  const startToCloseMs = options.startToCloseTimeout === undefined ? undefined : parseDurationMs(options.startToCloseTimeout, 'startToCloseTimeout');
  const own = ownFunctions(options.activities);
  const stubs = new Map<string, (...args: unknown[]) => Promise<unknown>>();
  return new Proxy({} as Promisified<A>, {
    get(_target, prop) {
      if (typeof prop !== 'string' || prop === 'then' || RESERVED_KEYS.includes(prop)) return undefined;
      let stub = stubs.get(prop);
      if (!stub) {
        const name = validateFunctionName(prop, 'activity name');
        // the interceptors' promise is the call's (an interceptor may answer a plain value; a throw
        // before any promise, outside a workflow say, is a rejection all the same)
        stub = (...args: unknown[]) =>
          callAsPromise(() => {
            const execution = currentExecution(`proxyActivities(...).${name}`);
            execution.host.activities.register(options.activities);
            const input: CallInput<'activity'> = { args, retryPolicy: options.retryPolicy, taskQueue: options.taskQueue, fn: own.get(name), startToCloseMs };
            return withActivityInterceptors(execution, { activityName: name, args, options }, async () => {
              const completion = await execution.run.call({ kind: 'activity', name, input });
              if (completion.ok) return completion.value;
              const error = reviveFailure(completion.error, 'activity');
              if (options.retryPolicy?.throwOnError === false && !isHotMeshError(error, 'CancelledError')) return completion.error;
              throw error;
            });
          });
        stubs.set(prop, stub);
      }
      return stub;
    },
  });
}

/** The proxy's own functions by the names a call may use: the function's name, and its key. */
function ownFunctions(activities: object | undefined): Map<string, ActivityFunction> {
  const map = new Map<string, ActivityFunction>();
  if (typeof activities === 'function') {
    if (activities.name) map.set(activities.name, activities as ActivityFunction);
    return map;
  }
  for (const [key, fn] of Object.entries(activities ?? {})) {
    if (typeof fn !== 'function') continue;
    const name = fn.name && fn.name !== 'default' ? fn.name : key;
    if (!map.has(name)) map.set(name, fn as ActivityFunction);
    if (!map.has(key)) map.set(key, fn as ActivityFunction);
  }
  return map;
}
