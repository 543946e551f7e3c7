/**
 * Interceptors (process-wide): workflow interceptors wrap every run of every workflow and hook,
 * replays included; activity interceptors wrap every proxied activity call. Onion order: the first
 * registered is the outermost. Both may make durable calls (sleepFor, proxies); those take seqs
 * before the wrapped code's calls. Unlike upstream, activity interceptors also run on replay, so the
 * durable calls they make number the same way every time.
 */
import type { WorkflowExecution } from './execution.js';

export interface WorkflowInterceptor {
  execute(context: Map<string, any>, next: () => Promise<unknown>): Promise<unknown>;
}

export interface ActivityCallContext {
  activityName: string;
  args: unknown[];
  options?: unknown;
}

export interface ActivityInterceptor {
  execute(activity: ActivityCallContext, context: Map<string, any>, next: () => Promise<unknown>): Promise<unknown>;
}

const workflowInterceptors: WorkflowInterceptor[] = [];
const activityInterceptors: ActivityInterceptor[] = [];

export function registerInterceptor(interceptor: WorkflowInterceptor): void {
  workflowInterceptors.push(interceptor);
}
export function registerActivityInterceptor(interceptor: ActivityInterceptor): void {
  activityInterceptors.push(interceptor);
}
/** Clears both workflow and activity interceptors (upstream). */
export function clearInterceptors(): void {
  workflowInterceptors.length = 0;
  activityInterceptors.length = 0;
}
export function clearActivityInterceptors(): void {
  activityInterceptors.length = 0;
}

export function interceptorContext({ info, run }: WorkflowExecution): Map<string, any> {
  return new Map<string, any>([
    ['workflowId', info.workflowId],
    ['workflowName', info.workflowName],
    ['workflowTopic', info.workflowTopic],
    ['namespace', info.namespace],
    ['canRetry', info.canRetry],
    ['replay', run.replayMap()],
    ['expire', info.expire],
    ['counter', run.counter],
    ['cursor', run.counter],
    ['workflowDimension', info.workflowDimension],
    ['originJobId', info.originJobId],
    ['workflowTrace', undefined],
    ['workflowSpan', undefined],
    ['raw', undefined],
    ['connection', undefined],
    ['interruptionRegistry', []],
  ]);
}

export function withWorkflowInterceptors(execution: WorkflowExecution, invoke: () => Promise<unknown>): () => Promise<unknown> {
  if (workflowInterceptors.length === 0) return invoke;
  const context = interceptorContext(execution);
  return workflowInterceptors.reduceRight<() => Promise<unknown>>((next, i) => () => i.execute(context, next), invoke);
}

export function withActivityInterceptors(
  execution: WorkflowExecution,
  activity: ActivityCallContext,
  invoke: () => Promise<unknown>,
): Promise<unknown> {
  if (activityInterceptors.length === 0) return invoke();
  const context = interceptorContext(execution);
  return activityInterceptors.reduceRight<() => Promise<unknown>>((next, i) => () => i.execute(activity, context, next), invoke)();
}
