/**
 * `handle.describe()`: a job as `list` shows it, plus its attempt, error, what it waits for (timers,
 * signals, children, remote activities, topics no worker serves), context version, children, hooks
 * and step count. One round trip (sql/queries/manage.ts describeJob).
 */
import type { Engine } from '../engine/engine.js';
import { JobNotFoundError } from '../errors.js';
import * as manage from '../sql/queries/manage.js';
import { validateId } from '../validation.js';
import { errorInfo } from './history.js';
import { workflowStatus } from './status.js';
import type { WorkflowDescription } from './types.js';

/** A topic counts as served when a worker's heartbeat recorded it within this many seconds. */
export const SERVED_WITHIN_SECONDS = 60;

export async function describeWorkflow(engine: Engine, workflowId: string): Promise<WorkflowDescription> {
  validateId('workflowId', workflowId);
  const res = await engine.query(manage.describeJob, { jobId: workflowId, servedWithinSeconds: SERVED_WITHIN_SECONDS });
  const row = res.rows[0];
  if (!row) throw new JobNotFoundError(workflowId);
  const status = workflowStatus(row.status, row.waiting);
  const live = status === 'running' || status === 'waiting' || status === 'parked';
  return {
    workflowId: row.id,
    workflowName: row.workflow_name,
    taskQueue: row.task_queue,
    entity: row.entity,
    status,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    completedAt: row.completed_at,
    parentId: row.parent_id,
    attempt: row.attempt,
    error: errorInfo(row.error),
    // a finished job waits for nothing (an interrupted one may keep a timer row, never due to it)
    waitingFor: live
      ? {
          timers: row.timers,
          signals: row.signals,
          children: row.awaited_children.map((c) => ({ thread: c.thread, seq: c.seq, workflowId: c.workflowId, status: workflowStatus(c.status, c.waiting) })),
          activities: row.activities,
          unservedTopics: row.unserved_topics,
        }
      : { timers: [], signals: [], children: [], activities: [], unservedTopics: [] },
    contextVersion: Number(row.context_version),
    children: row.children.map((c) => ({ workflowId: c.workflowId, workflowName: c.workflowName, status: workflowStatus(c.status, c.waiting) })),
    // a hook's thread status in the list's words: a terminated job's hooks are 'terminated' ('interrupted' as stored)
    hooks: row.hooks.map((h) => ({ ...h, status: workflowStatus(h.status, false) })),
    stepCount: row.step_count,
    ...(row.journal_summary ? { compacted: row.journal_summary } : {}),
    ...(row.pending_until ? { pendingUntil: row.pending_until } : {}),
  };
}
