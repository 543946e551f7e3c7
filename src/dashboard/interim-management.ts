/**
 * Stand-in for the management API's reads (issue 8) until it lands on main: list, counts, describe
 * and history in the shapes of src/manage/types.ts, from the tables as they are. `waiting`,
 * `cancelled`, timers and remote activities need the API; here a running job is `running`.
 */
import type { Engine } from '../engine/engine.js';
import { JobNotFoundError, type StoredFailure, ValidationError } from '../errors.js';
import {
  type HistoryEntry,
  type ListOptions,
  WORKFLOW_STATUSES,
  type WorkflowDescription,
  type WorkflowFilter,
  type WorkflowListItem,
  type WorkflowPage,
  type WorkflowStatus,
} from '../manage/types.js';
import * as q from '../sql/queries/dashboard-interim.js';
import * as jobs from '../sql/queries/jobs.js';
import type { StatusCounts } from './dashboard-source.js';

const TO_STORED: Partial<Record<WorkflowStatus, string>> = { running: 'running', waiting: 'running', completed: 'completed', failed: 'failed', parked: 'parked', terminated: 'interrupted' };

function statusOf(stored: string): WorkflowStatus {
  return stored === 'interrupted' ? 'terminated' : (stored as WorkflowStatus);
}

function iso(d: Date | string | undefined): string | null {
  if (d === undefined) return null;
  const t = d instanceof Date ? d : new Date(d);
  if (Number.isNaN(t.getTime())) throw new ValidationError('time', 'must be a date or an ISO 8601 string');
  return t.toISOString();
}

function filterParams(filter: WorkflowFilter): q.InterimFilterParams {
  const wanted = filter.status === undefined ? null : [filter.status].flat();
  return {
    statuses: wanted ? [...new Set(wanted.map((s) => TO_STORED[s] ?? '-'))] : null,
    workflowName: filter.workflowName ?? null,
    taskQueue: filter.taskQueue ?? null,
    entity: filter.entity ?? null,
    idPrefix: filter.idPrefix ?? null,
    createdAfter: iso(filter.createdAfter),
    createdBefore: iso(filter.createdBefore),
  };
}

function item(r: q.InterimJobRow): WorkflowListItem {
  return {
    workflowId: r.id,
    workflowName: r.workflow_name,
    taskQueue: r.task_queue,
    entity: r.entity,
    status: statusOf(r.status),
    createdAt: new Date(r.created_at).toISOString(),
    updatedAt: new Date(r.updated_at).toISOString(),
    completedAt: r.completed_at ? new Date(r.completed_at).toISOString() : null,
    parentId: r.parent_id,
  };
}

/** The cursor: the last item's (createdAt, workflowId), base64url JSON. */
function decodeCursor(cursor: string | undefined): { at: string; id: string } | null {
  if (!cursor) return null;
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
    if (typeof at === 'string' && typeof id === 'string' && !Number.isNaN(Date.parse(at))) return { at, id };
  } catch {
    // fall through
  }
  throw new ValidationError('cursor', 'is not a cursor this list gave');
}

export async function list(engine: Engine, options: ListOptions): Promise<WorkflowPage> {
  const limit = options.limit ?? 50;
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new ValidationError('limit', 'must be an integer from 1 to 1000');
  const cursor = decodeCursor(options.cursor);
  const res = await engine.query(q.interimListJobs, { ...filterParams(options), cursorAt: cursor?.at ?? null, cursorId: cursor?.id ?? null, limit: limit + 1 });
  const items = res.rows.slice(0, limit).map(item);
  const last = items[items.length - 1];
  const nextCursor = res.rows.length > limit && last ? Buffer.from(JSON.stringify([last.createdAt, last.workflowId])).toString('base64url') : null;
  return { items, nextCursor };
}

export async function counts(engine: Engine, filter: WorkflowFilter): Promise<StatusCounts> {
  const res = await engine.query(q.interimCountJobs, { ...filterParams({ ...filter, status: undefined }) });
  const out = Object.fromEntries(WORKFLOW_STATUSES.map((s) => [s, 0])) as StatusCounts;
  for (const r of res.rows) out[statusOf(r.status)] += r.n;
  return out;
}

function errorInfo(f: StoredFailure | null | undefined) {
  return f ? { message: f.message, code: f.code ?? null, stack: f.stack ?? null } : null;
}

export async function describe(engine: Engine, workflowId: string): Promise<WorkflowDescription> {
  const job = (await engine.query(jobs.readJob, { jobId: workflowId })).rows[0];
  if (!job) throw new JobNotFoundError(workflowId);
  const [threads, children, waiters, journal] = await Promise.all([
    engine.query(q.interimThreads, { jobId: workflowId }),
    engine.query(q.interimChildren, { jobId: workflowId }),
    engine.query(q.interimWaiters, { jobId: workflowId }),
    engine.query(q.interimJournal, { jobId: workflowId }),
  ]);
  const main = threads.rows.find((t) => t.thread === 'main');
  return {
    workflowId: job.id,
    workflowName: job.workflow_name,
    taskQueue: job.task_queue,
    entity: job.entity,
    status: statusOf(job.status),
    createdAt: job.created_at.toISOString(),
    updatedAt: job.updated_at.toISOString(),
    completedAt: job.completed_at?.toISOString() ?? null,
    parentId: ((job.options as { parent?: { job?: string } } | null)?.parent?.job as string | undefined) ?? null,
    attempt: (main?.failures ?? 0) + 1,
    error: errorInfo(job.error),
    waitingFor: {
      timers: [],
      signals: waiters.rows.map((w) => ({ thread: w.thread, seq: w.seq, signalId: w.signal_id, dueAt: null })),
      children: [],
      activities: [],
      unservedTopics: [],
    },
    contextVersion: Number(job.context_version),
    children: children.rows.map((c) => ({ workflowId: c.id, workflowName: c.workflow_name, status: statusOf(c.status) })),
    hooks: threads.rows
      .filter((t) => t.thread !== 'main')
      .map((t) => ({
        thread: t.thread,
        workflowName: t.workflow_name,
        taskQueue: t.task_queue,
        status: t.status,
        createdAt: t.created_at.toISOString(),
        completedAt: t.completed_at?.toISOString() ?? null,
      })),
    stepCount: journal.rows.length,
  };
}

export async function history(engine: Engine, workflowId: string): Promise<HistoryEntry[]> {
  const res = await engine.query(q.interimJournal, { jobId: workflowId });
  return res.rows.map((r) => {
    const failed = r.status !== 'done';
    const entry: HistoryEntry = {
      thread: r.thread,
      seq: r.seq,
      kind: r.kind,
      name: r.name,
      status: r.status as HistoryEntry['status'],
      batch: r.batch,
      attempt: r.attempt,
      createdAt: new Date(r.created_at).toISOString(),
      dueAt: r.due_at ? new Date(r.due_at).toISOString() : null,
    };
    if (failed) entry.error = errorInfo(r.result as StoredFailure) ?? undefined;
    else entry.result = r.result;
    return entry;
  });
}
