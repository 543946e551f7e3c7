/**
 * AsyncLocalStorage behind `MemFlow.workflow.*` and `MemFlow.activity.getContext()`: each thread run
 * executes its function inside its own scope, so concurrent threads in one worker never see each
 * other's calls; activities run outside any thread's scope, inside an activity scope of their own.
 * A thread's scope holds whatever the runtime runs the function with (its WorkflowExecution): the
 * worker does not need to know its shape.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { ValidationError } from '../errors.js';

/**
 * One store for both scopes: on Node 20 every AsyncLocalStorage in use adds its own step to the
 * creation of every promise in the process, so a second store for activities cost each promise
 * twice. A scope is a thread's or an activity's, never both.
 */
type Scope = { thread: unknown; activity?: undefined } | { thread?: undefined; activity: ActivityInfo };

const scopes = new AsyncLocalStorage<Scope>();

export function runInThreadScope<T>(execution: unknown, fn: () => T): T {
  return scopes.run({ thread: execution }, fn);
}

export function currentThreadScope(): unknown {
  return scopes.getStore()?.thread;
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

/** Runs `fn` as the activity `info` describes, outside any thread's scope. */
export function runActivityScope<T>(info: ActivityInfo, fn: () => T): T {
  return scopes.run({ activity: info }, fn);
}

export function currentActivityInfo(): ActivityInfo {
  const info = scopes.getStore()?.activity;
  if (!info) throw new ValidationError('MemFlow.activity.getContext()', 'can only be called inside an activity');
  return info;
}
