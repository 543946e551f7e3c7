/**
 * Which thread is running right now, and what its runtime offers workflow code. Workflow code calls
 * `MemFlow.workflow.*` without passing any handle, so the runtime installs, once, an accessor backed
 * by AsyncLocalStorage (runtime/execution-slot.ts) that this module reads. Keeping the accessor
 * injected keeps workflow/ free of `node:*` imports.
 */
import { ValidationError } from '../errors.js';
import type { ActivityFunction } from '../replay/durable-call.js';
import type { ExecutionInfo } from '../replay/execution-info.js';
import type { ThreadRun } from '../replay/thread-run.js';
import type { ActivityInterceptor, WorkflowInterceptor } from './interceptor-types.js';

export type { ExecutionInfo } from '../replay/execution-info.js';
export type { RetryConfig } from '../replay/durable-call.js';

/** Where activity functions are registered by name (a runtime's registry). */
export interface ActivityRegistrar {
  register(activities: object | ActivityFunction | undefined): void;
}

/** What the runtime that runs a thread offers its code. */
export interface ExecutionHost {
  /** The runtime's activity registry (proxies register their functions there). */
  readonly activities: ActivityRegistrar;
  /** Interceptors in onion order (process-wide ones first). */
  readonly workflowInterceptors: readonly WorkflowInterceptor[];
  readonly activityInterceptors: readonly ActivityInterceptor[];
  /** Publish events on the app's channel now, outside the journal (`emit(..., { once: false })`). */
  publish(events: Record<string, unknown>): Promise<void>;
  /** Upstream's escape hatch: what `getHotMesh()` answers (compat/hotmesh-engine.ts). */
  hotMesh(): unknown;
}

export interface WorkflowExecution {
  info: ExecutionInfo;
  run: ThreadRun;
  host: ExecutionHost;
}

/** What the runtime installs once: the current execution, and the process-wide activity registry. */
export interface ExecutionBindings {
  current(): WorkflowExecution | undefined;
  /** Where `proxyActivities({ activities })` registers at module load, outside any run. */
  processActivities: ActivityRegistrar;
  /** Runs `fn` with `execution` as the current one (and what `fn` sets going, awaited or not). */
  runAs<T>(execution: WorkflowExecution, fn: () => T): T;
}

let bindings: ExecutionBindings | undefined;

/** Called once by the runtime module when it loads. */
export function installExecutionBindings(b: ExecutionBindings): void {
  bindings = b;
}

export function processActivities(): ActivityRegistrar | undefined {
  return bindings?.processActivities;
}

/** Runs `fn` with `execution` as the current one (outside a runtime, the caller's own stays). */
export function runAsExecution<T>(execution: WorkflowExecution, fn: () => T): T {
  return bindings ? bindings.runAs(execution, fn) : fn();
}

export function currentExecution(api: string): WorkflowExecution {
  const execution = bindings?.current();
  // typed (a black-box pass: a plain Error with no code): misuse is refused as bad input is
  if (!execution) throw new ValidationError(`MemFlow.workflow.${api}()`, 'can only be called inside a workflow or hook function');
  return execution;
}

