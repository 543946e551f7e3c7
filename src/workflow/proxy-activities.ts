/**
 * proxyActivities: each call of a proxied function is one durable step. Activities registered in this
 * process run inline on the worker that runs the thread; the result is journaled and never run again
 * once it committed. Failures retry per the retry policy; when retries run out the workflow gets a
 * MemFlowFatalError (or, with `throwOnError: false`, the plain error object).
 */
import { failureToError } from '../errors.js';
import { RESERVED_KEYS, validateFunctionName } from '../validation.js';
import { registerActivities } from './activity-registry.js';
import { currentExecution } from './execution.js';
import { withActivityInterceptors } from './interceptors.js';

export interface ActivityRetryPolicy {
  /** Retries after the first attempt (so N allows N + 1 executions). Default: the workflow's, else 3. */
  maximumAttempts?: number;
  /** Delay before retry n is min(backoffCoefficient^(n-1), maximumInterval) seconds. Default 10. */
  backoffCoefficient?: number;
  /** Cap on the delay between attempts. Default '120s'. */
  maximumInterval?: string | number;
  /** false: a failed activity returns its error object instead of throwing. Default true. */
  throwOnError?: boolean;
}

export interface ActivityConfig<A = object> {
  /** Functions to register (process-wide; the first registration of a name wins). */
  activities?: A;
  /** Route calls to activity workers of this queue (registerActivityWorker). */
  taskQueue?: string;
  retryPolicy?: ActivityRetryPolicy;
  /** Accepted for compatibility. */
  expire?: number;
  /** Accepted for compatibility; not enforced (as upstream). */
  startToCloseTimeout?: string;
}

export interface ActivityCallInput {
  args: unknown[];
  retryPolicy?: ActivityRetryPolicy;
  taskQueue?: string;
}

type Promisified<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : never;
} & Record<string, (...args: any[]) => Promise<any>>; // any name: activities may be registered elsewhere (or as a default export)

export function proxyActivities<A extends object = Record<string, (...args: any[]) => any>>(
  options: ActivityConfig<A> = {},
): Promisified<A> {
  registerActivities(options.activities);
  const stubs = new Map<string, (...args: unknown[]) => Promise<unknown>>();
  return new Proxy({} as Promisified<A>, {
    get(_target, prop) {
      if (typeof prop !== 'string' || prop === 'then' || RESERVED_KEYS.has(prop)) return undefined;
      let stub = stubs.get(prop);
      if (!stub) {
        const name = validateFunctionName(prop, 'activity name');
        stub = async (...args: unknown[]) => {
          const execution = currentExecution(`proxyActivities(...).${name}`);
          const input: ActivityCallInput = { args, retryPolicy: options.retryPolicy, taskQueue: options.taskQueue };
          return withActivityInterceptors(execution, { activityName: name, args, options }, async () => {
            const completion = await execution.run.call({ kind: 'activity', name, input });
            if (completion.ok) return completion.value;
            if (options.retryPolicy?.throwOnError === false) return completion.error;
            throw failureToError(completion.error, 'fatal');
          });
        };
        stubs.set(prop, stub);
      }
      return stub;
    },
  });
}
