/**
 * `handle.history()`: the journal as plain JSON (types.ts HistoryEntry), and the WorkflowHistory
 * that `handle.export()` includes and `MemFlow.testing.replay` takes.
 */
import type { Engine } from '../engine/engine.js';
import { JobNotFoundError, type StoredFailure } from '../errors.js';
import * as manage from '../sql/queries/manage.js';
import { validateId } from '../validation.js';
import type { HistoryEntry, WorkflowErrorInfo, WorkflowHistory } from './types.js';

export function errorInfo(failure: StoredFailure | null | undefined): WorkflowErrorInfo | null {
  if (!failure) return null;
  return { message: String(failure.message ?? ''), code: typeof failure.code === 'number' ? failure.code : null, stack: failure.stack ?? null };
}

function toEntry(row: manage.HistoryRow): HistoryEntry {
  const entry: HistoryEntry = {
    thread: row.thread,
    seq: row.seq,
    kind: row.kind,
    name: row.name,
    status: row.status,
    batch: row.batch,
    attempt: row.attempt,
    createdAt: row.created_at,
    dueAt: row.due_at,
  };
  if (row.status === 'done') {
    if (!row.undef) entry.result = row.result;
  } else {
    const failure = (row.result ?? { message: '' }) as StoredFailure;
    entry.error = { ...errorInfo(failure)!, ...(failure.type ? { type: failure.type } : {}), ...(failure.details ? { details: failure.details } : {}) };
  }
  return entry;
}

export async function readHistory(engine: Engine, workflowId: string): Promise<HistoryEntry[]> {
  validateId('workflowId', workflowId);
  const [res, main] = await Promise.all([engine.query(manage.readHistory, { jobId: workflowId }), engine.query(manage.readMainThread, { jobId: workflowId })]);
  const thread = main.rows[0];
  if (!thread) throw new JobNotFoundError(workflowId);
  const entries = res.rows.map(toEntry);
  if (thread.seq_base > 0) for (const e of entries) if (e.thread === 'main') e.seqBase = thread.seq_base;
  return entries;
}

export async function readWorkflowHistory(engine: Engine, workflowId: string): Promise<WorkflowHistory> {
  validateId('workflowId', workflowId);
  const [res, main] = await Promise.all([engine.query(manage.readHistory, { jobId: workflowId }), engine.query(manage.readMainThread, { jobId: workflowId })]);
  const thread = main.rows[0];
  if (!thread) throw new JobNotFoundError(workflowId);
  const kept = thread.compacted_threads;
  return {
    workflowId,
    workflowName: thread.workflow_name,
    taskQueue: thread.task_queue,
    args: Array.isArray(thread.args) ? thread.args : [],
    ...(thread.seq_base > 0 ? { seqBase: thread.seq_base } : {}),
    ...(kept.main ? { compacted: kept.main } : {}),
    ...(Object.keys(kept).length > 0 ? { compactedThreads: kept } : {}),
    entries: res.rows.map(toEntry),
  };
}
