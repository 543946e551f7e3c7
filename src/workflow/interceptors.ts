/**
 * Interceptors: workflow interceptors wrap every run of every workflow and hook, replays included;
 * activity interceptors wrap every proxied activity call. Onion order: the first registered is the
 * outermost. Both may make durable calls (sleepFor, proxies); those take seqs before the wrapped
 * code's calls. Unlike upstream, activity interceptors also run on replay, so the durable calls they
 * make number the same way every time. A proxied call an activity interceptor makes itself (an audit
 * log on its own queue, say) is not intercepted again: the interceptors run with none installed, so
 * an interceptor that calls a proxy wraps the workflow's calls only, instead of its own calls without
 * end (a stack overflow, found by a black-box pass). Each runtime keeps its own lists (runtime/runtime.ts); the
 * static `MemFlow.registerInterceptor` registers process-wide, ahead of every runtime's own.
 */
import { interceptorContextMap } from '../compat/workflow-context.js';
import { type ExecutionHost, runAsExecution, type WorkflowExecution } from './execution.js';
import type { InterceptedActivity } from './interceptor-types.js';

export type { ActivityCallContext, ActivityInterceptor, InterceptedActivity, WorkflowInterceptor } from './interceptor-types.js';

export function withWorkflowInterceptors(execution: WorkflowExecution, invoke: () => Promise<unknown>): () => Promise<unknown> {
  const list = execution.host.workflowInterceptors;
  if (list.length === 0) return invoke;
  const context = interceptorContextMap(execution.info, execution.run);
  return list.reduceRight<() => Promise<unknown>>((next, i) => () => i.execute(context, next), invoke);
}

export function withActivityInterceptors(
  execution: WorkflowExecution,
  activity: InterceptedActivity,
  invoke: () => Promise<unknown>,
): Promise<unknown> {
  const list = execution.host.activityInterceptors;
  if (list.length === 0) return invoke();
  const context = interceptorContextMap(execution.info, execution.run);
  // the same run and host, with no activity interceptors: what the interceptors' own calls see
  const inner: WorkflowExecution = {
    info: execution.info,
    run: execution.run,
    host: Object.create(execution.host, { activityInterceptors: { value: [] } }) as ExecutionHost,
  };
  return list.reduceRight<() => Promise<unknown>>(
    (next, i) => () => runAsExecution(inner, () => i.execute(activity, context, next)),
    invoke,
  )();
}
