/**
 * AsyncLocalStorage behind `MemFlow.workflow.*`: each thread run executes its function inside its own
 * store, so concurrent threads in one worker never see each other's calls. Activities run outside any
 * workflow store, with an activity store of their own.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { installExecutionAccessor, type WorkflowExecution } from '../workflow/execution.js';

const workflowStore = new AsyncLocalStorage<WorkflowExecution>();
installExecutionAccessor(() => workflowStore.getStore());

export function runInExecution<T>(execution: WorkflowExecution, fn: () => T): T {
  return workflowStore.run(execution, fn);
}

/** What activity code can learn about the call it serves (`MemFlow.activity.getContext()`). */
export interface ActivityContext {
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

const activityStore = new AsyncLocalStorage<ActivityContext>();

export function runActivityScope<T>(context: ActivityContext, fn: () => T): T {
  return workflowStore.exit(() => activityStore.run(context, fn));
}

export function currentActivityContext(): ActivityContext {
  const context = activityStore.getStore();
  if (!context) throw new Error('MemFlow.activity.getContext() can only be called inside an activity');
  return context;
}
