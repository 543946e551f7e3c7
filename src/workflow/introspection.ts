/**
 * What a workflow or hook can learn about the thread it runs in (upstream's getContext()).
 */
import { currentExecution } from './execution.js';

export interface WorkflowContext {
  workflowId: string;
  namespace: string;
  workflowTopic: string;
  /** '' for the main thread, the hook's thread id otherwise. */
  workflowDimension: string;
  thread: string;
  canRetry: boolean;
  /** The seq of the last durable call. */
  counter: number;
  COUNTER: { counter: number };
  cursor: number;
  /** Recorded results by seq. */
  replay: Record<string, unknown>;
  expire?: number;
  originJobId?: string;
  parentWorkflowId?: string;
  interruptionRegistry: unknown[];
  /** Upstream fields with no meaning here (no stream message, no trace context): undefined. */
  connection?: unknown;
  raw?: unknown;
  workflowTrace?: string;
  workflowSpan?: string;
}

export function getContext(): WorkflowContext {
  const { info, run } = currentExecution('getContext');
  return {
    workflowId: info.workflowId,
    namespace: info.namespace,
    workflowTopic: info.workflowTopic,
    workflowDimension: info.workflowDimension,
    thread: info.thread,
    canRetry: info.canRetry,
    counter: run.counter,
    COUNTER: { counter: run.counter },
    cursor: run.counter,
    replay: run.replayMap(),
    expire: info.expire,
    originJobId: info.originJobId,
    parentWorkflowId: info.parentWorkflowId,
    interruptionRegistry: [],
    connection: undefined,
    raw: undefined,
    workflowTrace: undefined,
    workflowSpan: undefined,
  };
}
