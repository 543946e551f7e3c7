/**
 * Upstream's view of a running thread: `MemFlow.workflow.getContext()` and the Map interceptors
 * receive (memflow-api.md §5.13, §5.16). Fields with no meaning in this engine (stream message,
 * trace context, interruption registry) are present and empty, so upstream code reading them works.
 */
import type { ExecutionInfo } from '../replay/execution-info.js';
import type { ThreadRun } from '../replay/thread-run.js';

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
  /** The run's counter, live (read-only). */
  COUNTER: { readonly counter: number };
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

/** Upstream's `replay` map: the recorded results by seq. */
export function replayMap(run: ThreadRun): Record<string, unknown> {
  const map: Record<string, unknown> = {};
  for (const [seq, entry] of run.journal()) if (entry.status === 'done') map[seq] = entry.value;
  return map;
}

export function workflowContext(info: ExecutionInfo, run: ThreadRun): WorkflowContext {
  return {
    workflowId: info.workflowId,
    namespace: info.namespace,
    workflowTopic: info.workflowTopic,
    workflowDimension: info.workflowDimension,
    thread: info.thread,
    canRetry: info.canRetry,
    counter: run.counter,
    // live, as the catalog says (§5.14): it reads the run's counter as the workflow goes on
    COUNTER: {
      get counter() {
        return run.counter;
      },
    },
    cursor: run.counter,
    replay: replayMap(run),
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

/** The Map interceptors receive as their workflow context. */
export function interceptorContextMap(info: ExecutionInfo, run: ThreadRun): Map<string, any> {
  return new Map<string, any>([
    ['workflowId', info.workflowId],
    ['workflowName', info.workflowName],
    ['workflowTopic', info.workflowTopic],
    ['namespace', info.namespace],
    ['canRetry', info.canRetry],
    ['replay', replayMap(run)],
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
