/**
 * Which thread is running right now. Workflow code calls `MemFlow.workflow.*` without passing any
 * handle, so the worker installs an accessor (backed by AsyncLocalStorage, in worker/) that this
 * module reads. Keeping the accessor injectable keeps workflow/ free of `node:*` imports.
 */
import type { ThreadRun } from '../replay/thread-run.js';

export interface ExecutionInfo {
  /** The job id (for a hook: the job it runs on). */
  workflowId: string;
  namespace: string;
  /** `<taskQueue>-<workflowName>` of this thread's function. */
  workflowTopic: string;
  workflowName: string;
  taskQueue: string;
  /** 'main' for the workflow, the hook's thread id otherwise. */
  thread: string;
  /** Upstream's name for the thread: '' for the main thread. */
  workflowDimension: string;
  /** True while another workflow-level retry remains. */
  canRetry: boolean;
  /** Retention in seconds, when the job was started with one. */
  expire?: number;
  /** The job's workflow-level retry config. */
  config: RetryConfig;
  originJobId?: string;
  parentWorkflowId?: string;
}

export interface RetryConfig {
  maximumAttempts?: number;
  backoffCoefficient?: number;
  maximumInterval?: string | number;
  throwOnError?: boolean;
}

export interface WorkflowExecution {
  info: ExecutionInfo;
  run: ThreadRun;
  /** Publish events on the app's channel now, outside the journal (`emit(..., { once: false })`). */
  publish(events: Record<string, unknown>): Promise<void>;
  /** The app's engine handle, for `getHotMesh()`. */
  hotMesh?: unknown;
}

let accessor: () => WorkflowExecution | undefined = () => undefined;

export function installExecutionAccessor(fn: () => WorkflowExecution | undefined): void {
  accessor = fn;
}

export function currentExecution(api: string): WorkflowExecution {
  const execution = accessor();
  if (!execution) throw new Error(`MemFlow.workflow.${api}() can only be called inside a workflow or hook function`);
  return execution;
}

export function maybeCurrentExecution(): WorkflowExecution | undefined {
  return accessor();
}
