/**
 * The management API's vocabulary (issue 8): what `client.workflow.list`, `handle.describe()` and
 * `handle.history()` answer, and what the bulk operations take. The CLI (`hotmesh`) and the
 * dashboard print and render exactly these shapes; `--json` output is these objects.
 *
 * Times are ISO 8601 strings (UTC), so the shapes survive JSON unchanged.
 */
import type { JournalSummary } from '../sql/queries/manage.js';

/**
 * A workflow's status as the management API reports it. `waiting` is a running job none of whose
 * threads can go on now (every one waits for a timer, a signal, a child or a remote activity);
 * `terminated` is an interrupted job (`handle.terminate()`, `handle.interrupt()`); `cancelled` a job
 * whose workflow did not catch the CancelledError of `handle.cancel()`.
 */
export type WorkflowStatus = 'running' | 'waiting' | 'completed' | 'failed' | 'parked' | 'cancelled' | 'terminated';

export const WORKFLOW_STATUSES: readonly WorkflowStatus[] = ['running', 'waiting', 'completed', 'failed', 'parked', 'cancelled', 'terminated'];

/** Which jobs `list` (and the bulk operations) select. Every field narrows; none given: all jobs. */
export interface WorkflowFilter {
  status?: WorkflowStatus | WorkflowStatus[];
  workflowName?: string;
  taskQueue?: string;
  entity?: string;
  /** Jobs whose id starts with this. */
  idPrefix?: string;
  /** Created at or after / before this instant (a Date or an ISO string). */
  createdAfter?: Date | string;
  createdBefore?: Date | string;
  /** Search fields (`search()` / `enrich()` values): every one must equal. */
  search?: Record<string, string>;
  /**
   * The app to look in (client and `mf.workflow` calls only; as their `namespace` argument, which it
   * must not contradict). Default: the client's namespace (`mf.workflow`: the appId).
   */
  namespace?: string;
}

export interface ListOptions extends WorkflowFilter {
  /** Page size, 1-1000. Default 50. */
  limit?: number;
  /** `nextCursor` of the previous page (opaque). */
  cursor?: string;
}

/** One job in a list: newest first. */
export interface WorkflowListItem {
  workflowId: string;
  workflowName: string;
  taskQueue: string;
  entity: string | null;
  status: WorkflowStatus;
  createdAt: string;
  updatedAt: string;
  completedAt: string | null;
  parentId: string | null;
}

export interface WorkflowPage {
  items: WorkflowListItem[];
  /** Pass as `cursor` for the next page; null on the last one. */
  nextCursor: string | null;
}

/** A job's failure as stored: the message, its numeric code (ErrorCode), the stack where one was kept. */
export interface WorkflowErrorInfo {
  message: string;
  code: number | null;
  stack: string | null;
}

/** What a job waits for now (every list empty: it is running, or finished). */
export interface WaitingFor {
  timers: Array<{ thread: string; seq: number; dueAt: string }>;
  signals: Array<{ thread: string; seq: number; signalId: string; dueAt: string | null }>;
  children: Array<{ thread: string; seq: number; workflowId: string; status: WorkflowStatus }>;
  /** Remote activities (and retries) queued for a worker. */
  activities: Array<{ thread: string; seq: number; name: string; taskQueue: string; attempt: number; dueAt: string }>;
  /** Topics of this job's pending tasks that no worker has served recently (a typo, or no worker up). */
  unservedTopics: string[];
}

export interface WorkflowDescription extends WorkflowListItem {
  /** The main thread's run attempts so far (1 on a first run). */
  attempt: number;
  error: WorkflowErrorInfo | null;
  waitingFor: WaitingFor;
  contextVersion: number;
  children: Array<{ workflowId: string; workflowName: string; status: WorkflowStatus }>;
  /** Hook threads run against the job. */
  /** `status`: running, completed, failed, parked, cancelled or terminated (as a job's, never waiting). */
  hooks: Array<{ thread: string; workflowName: string; taskQueue: string; status: WorkflowStatus; createdAt: string; completedAt: string | null }>;
  /** Journal entries (durable calls recorded) over all threads. */
  stepCount: number;
  /** Set when the main thread's journal was compacted (`journalRetention`): what was kept of it. */
  compacted?: JournalSummary;
  /**
   * Set for a job started with `pending` and not resumed yet: when it is scrubbed if no `resume()`
   * comes first (ISO time). Its status reads `running`; nothing of it has run.
   */
  pendingUntil?: string;
}

/**
 * A recorded failure in a history: the WorkflowErrorInfo fields plus the error's class name and the
 * fields a typed error is rebuilt from, so that a replay (MemFlow.testing.replay) revives the class
 * the workflow caught when it first ran.
 */
export interface HistoryError extends WorkflowErrorInfo {
  type?: string;
  details?: Record<string, unknown>;
}

/** One journal entry, as `handle.history()` and `hotmesh history` give it. */
export interface HistoryEntry {
  thread: string;
  seq: number;
  /** The durable call's kind: activity, sleep, wait, signal, hook, child, start, context, search, … */
  kind: string;
  name: string;
  status: 'done' | 'failed' | 'retry';
  /** The recorded result (status done). */
  result?: unknown;
  /** The recorded failure (status failed or retry). */
  error?: HistoryError;
  /** The delivery batch that handed it to the function (null: not delivered yet). */
  batch: number | null;
  attempt: number;
  createdAt: string;
  /** When the result may be delivered (timers, retries). */
  dueAt: string | null;
  /**
   * On the main thread's entries of a job that continued as new: the seq the run's calls count from
   * (its earlier runs' calls took the seqs up to it), so that the entries alone can be replayed.
   */
  seqBase?: number;
}

/** `handle.export()`: the parts asked for; `history` is what `MemFlow.testing.replay` takes. */
export interface WorkflowExport {
  [part: string]: unknown;
  history?: WorkflowHistory;
}

/**
 * A recorded history with what is needed to replay it: what `hotmesh export` writes (and
 * `handle.export()` includes as `history`), and what `MemFlow.testing.replay` and `hotmesh replay`
 * take. `handle.history()` gives the `entries` alone (the journal as a plain JSON array).
 */
export interface WorkflowHistory {
  workflowId: string;
  workflowName: string;
  taskQueue: string;
  /** The main thread's arguments (of its current run, after `continueAsNew`). */
  args: unknown[];
  /** After `continueAsNew`: the last seq of the main thread's earlier runs; the current run counts on from it. */
  seqBase?: number;
  /**
   * Set when the main thread's journal was compacted (`journalRetention`): its entries are gone and
   * this is what was kept of them.
   */
  compacted?: JournalSummary;
  /**
   * Every thread whose journal was compacted (hooks too), with what was kept. `MemFlow.testing.replay`
   * refuses to replay such a thread: with no entries it would pass against any function.
   */
  compactedThreads?: Record<string, JournalSummary>;
  entries: HistoryEntry[];
}

/** What a bulk operation did. */
export interface BulkResult {
  /** Jobs the filter selected. */
  matched: number;
  /** Jobs the operation changed (the others were in a state it does not apply to). */
  affected: number;
}
