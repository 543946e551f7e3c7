/**
 * Who a run is: the identity of one thread of one job, as the worker learns it at claim time and as
 * workflow code reads it (getContext(), interceptors). Plain data: the replay core and the user API
 * share it, the worker fills it in.
 */
import type { RetryConfig } from './durable-call.js';

export interface ExecutionInfo {
  /** The job id (for a hook: the job it runs on). Public APIs call it the workflowId. */
  workflowId: string;
  /** The app id. */
  namespace: string;
  /** The topic of this thread's function: `<taskQueue>-<workflowName>`. */
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
