/**
 * Stand-ins for the management API's reads (issue 8) until it lands: the dashboard reads through
 * src/dashboard/dashboard-source.ts, which switches to client.workflow.list / handle.describe /
 * handle.history then, and these go.
 */
import { defineQuery } from '../define-query.js';

export interface InterimFilterParams {
  statuses: string[] | null;
  workflowName: string | null;
  taskQueue: string | null;
  entity: string | null;
  idPrefix: string | null;
  createdAfter: string | null;
  createdBefore: string | null;
}

const FILTER = /* sql */ `
($statuses::text[] IS NULL OR status = ANY($statuses::text[]))
AND ($workflowName::text IS NULL OR workflow_name = $workflowName::text)
AND ($taskQueue::text IS NULL OR task_queue = $taskQueue::text)
AND ($entity::text IS NULL OR entity = $entity::text)
AND ($idPrefix::text IS NULL OR starts_with(id, $idPrefix::text))
AND ($createdAfter::timestamptz IS NULL OR created_at >= $createdAfter::timestamptz)
AND ($createdBefore::timestamptz IS NULL OR created_at < $createdBefore::timestamptz)`;

export interface InterimJobRow {
  id: string;
  workflow_name: string;
  task_queue: string;
  entity: string | null;
  status: string;
  created_at: Date;
  updated_at: Date;
  completed_at: Date | null;
  parent_id: string | null;
}

export const interimListJobs = defineQuery<InterimFilterParams & { cursorAt: string | null; cursorId: string | null; limit: number }, InterimJobRow>(/* sql */ `
SELECT id, workflow_name, task_queue, entity, status, created_at, updated_at, completed_at, parent_id
  FROM {{schema}}.jobs
 WHERE ${FILTER}
   AND ($cursorAt::timestamptz IS NULL OR (created_at, id) < ($cursorAt::timestamptz, $cursorId::text))
 ORDER BY created_at DESC, id DESC
 LIMIT $limit::int`);

export const interimCountJobs = defineQuery<InterimFilterParams, { status: string; n: number }>(/* sql */ `
SELECT status, count(*)::int AS n FROM {{schema}}.jobs WHERE ${FILTER} GROUP BY status`);

export const interimThreads = defineQuery<{ jobId: string }, { thread: string; workflow_name: string; task_queue: string; status: string; failures: number; created_at: Date; completed_at: Date | null }>(/* sql */ `
SELECT thread, workflow_name, task_queue, status, failures, created_at, completed_at
  FROM {{schema}}.threads WHERE job_id = $jobId ORDER BY created_at, thread`);

export const interimChildren = defineQuery<{ jobId: string }, { id: string; workflow_name: string; status: string }>(/* sql */ `
SELECT id, workflow_name, status FROM {{schema}}.jobs WHERE parent_id = $jobId ORDER BY created_at, id`);

export const interimWaiters = defineQuery<{ jobId: string }, { thread: string; seq: number; signal_id: string }>(/* sql */ `
SELECT thread, seq, signal_id FROM {{schema}}.waiters WHERE job_id = $jobId ORDER BY thread, seq`);

export const interimJournal = defineQuery<
  { jobId: string },
  { thread: string; seq: number; kind: string; name: string; status: string; result: unknown; attempt: number; batch: number | null; created_at: Date; due_at: Date | null }
>(/* sql */ `
SELECT thread, seq, kind, name, status, result, attempt, batch, created_at, due_at
  FROM {{schema}}.journal WHERE job_id = $jobId ORDER BY thread, seq`);
