/**
 * AsyncLocalStorage behind `MemFlow.workflow.*` and `MemFlow.activity.getContext()`: each thread run
 * executes its function inside its own store, so concurrent threads in one worker never see each
 * other's calls; activities run outside any thread's store, inside an activity store of their own.
 * The thread store holds whatever the runtime runs the function with (its WorkflowExecution): the
 * worker does not need to know its shape.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

const threadStore = new AsyncLocalStorage<unknown>();

export function runInThreadScope<T>(execution: unknown, fn: () => T): T {
  return threadStore.run(execution, fn);
}

export function currentThreadScope(): unknown {
  return threadStore.getStore();
}

/** What activity code can learn about the call it serves (`MemFlow.activity.getContext()`). */
export interface ActivityInfo {
  /** The same for every attempt of this call: `<appId>:<jobId>:<thread>:<seq>`. */
  idempotencyKey: string;
  activityName: string;
  workflowId: string;
  thread: string;
  seq: number;
  /** 1 for the first execution. */
  attempt: number;
  namespace: string;
}

/** Upstream's name for ActivityInfo. */
export type ActivityContext = ActivityInfo;

const activityStore = new AsyncLocalStorage<ActivityInfo>();

export function runActivityScope<T>(info: ActivityInfo, fn: () => T): T {
  return threadStore.exit(() => activityStore.run(info, fn));
}

export function currentActivityInfo(): ActivityInfo {
  const info = activityStore.getStore();
  if (!info) throw new Error('MemFlow.activity.getContext() can only be called inside an activity');
  return info;
}
