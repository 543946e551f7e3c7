/**
 * What the dashboard reads and does, and nothing else: the pages and the action handlers see this
 * port, never SQL. `client-source.ts` implements it on a Client with the management API's shapes
 * (src/manage/types.ts).
 */
import type { HistoryEntry, ListOptions, WorkflowDescription, WorkflowFilter, WorkflowPage, WorkflowStatus } from '../manage/types.js';
import type { ContextChange } from '../memflow/job-context.js';

export interface AppSummary {
  appId: string;
  /** Its Postgres schema (`my-app` → `my_app`). */
  schema: string;
}

export type StatusCounts = Record<WorkflowStatus, number>;

/** The actions a dashboard offers (none with `readOnly`). */
export const ACTIONS = ['signal', 'hook', 'cancel', 'terminate', 'resume', 'retry', 'fork'] as const;
export type ActionName = (typeof ACTIONS)[number];

/** An action's input, validated by action-input.ts before it reaches the source. */
export type ActionInput =
  | { action: 'signal'; signalId: string; payload: unknown }
  | { action: 'hook'; taskQueue: string; workflowName: string; args: unknown[] }
  | { action: 'cancel' | 'terminate'; reason?: string }
  | { action: 'resume' | 'retry' }
  | { action: 'fork'; fromSeq?: number };

/** What the page shows after an action: a sentence, and the new job's id for a fork. */
export interface ActionResult {
  message: string;
  workflowId?: string;
}

export interface DashboardSource {
  apps(): Promise<AppSummary[]>;
  list(appId: string, options: ListOptions): Promise<WorkflowPage>;
  counts(appId: string, filter: WorkflowFilter): Promise<StatusCounts>;
  describe(appId: string, workflowId: string): Promise<WorkflowDescription>;
  history(appId: string, workflowId: string): Promise<HistoryEntry[]>;
  /** The context now, with its version. */
  context(appId: string, workflowId: string): Promise<{ value: unknown; version: number }>;
  contextAt(appId: string, workflowId: string, version: number): Promise<unknown>;
  contextLog(appId: string, workflowId: string): Promise<ContextChange[]>;
  act(appId: string, workflowId: string, input: ActionInput): Promise<ActionResult>;
  /**
   * Call `listener` when jobs of the app may have changed: on the app's NOTIFY channel where the
   * database has one, else (PGlite) every `pollMs`. Returns the unsubscribe function.
   */
  watch(appId: string, listener: () => void): Promise<() => void>;
  close(): Promise<void>;
}
