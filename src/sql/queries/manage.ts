/**
 * Named queries of the management API (issue 8, src/manage/): listing, counting and describing jobs,
 * their history, and the operator's actions on them (migrations 0022, 0023).
 */
import type { StoredFailure } from '../../errors.js';
import { defineQuery, type NoParams } from '../define-query.js';

/** A filter as the SQL functions take it (every field NULL: not applied). */
export interface FilterParams {
  statuses: string[] | null;
  waiting: boolean | null;
  workflowName: string | null;
  taskQueue: string | null;
  entity: string | null;
  idPrefix: string | null;
  createdAfter: string | null;
  createdBefore: string | null;
  fields: string[] | null;
  values: string[] | null;
}

export interface ListRow {
  id: string;
  workflow_name: string;
  task_queue: string;
  entity: string | null;
  status: string;
  waiting: boolean;
  created_at: string;
  updated_at: string;
  completed_at: string | null;
  parent_id: string | null;
  cursor_at: string;
}

/** One page, newest first, after the keyset (cursorAt, cursorId) when given (migration 0022). */
export const listJobs = defineQuery<FilterParams & { cursorAt: string | null; cursorId: string | null; limit: number }, ListRow>(/* sql */ `
SELECT * FROM {{schema}}.list_jobs($statuses::text[], $waiting::boolean, $workflowName::text, $taskQueue::text, $entity::text,
  $idPrefix::text, $createdAfter::timestamptz, $createdBefore::timestamptz, $fields::text[], $values::text[],
  $cursorAt::timestamptz, $cursorId::text, $limit::int)`);

/** How many jobs match, by stored status and waiting (migration 0022). */
export const countJobs = defineQuery<FilterParams, { status: string; waiting: boolean; n: string }>(/* sql */ `
SELECT * FROM {{schema}}.count_jobs($statuses::text[], $waiting::boolean, $workflowName::text, $taskQueue::text, $entity::text,
  $idPrefix::text, $createdAfter::timestamptz, $createdBefore::timestamptz, $fields::text[], $values::text[])`);

/** The app ids of this database whose schema holds the engine's tables. */
export const listApps = defineQuery<NoParams, { app_id: string }>(/* sql */ `
SELECT a.app_id FROM hotmesh_registry.apps a
 WHERE EXISTS (SELECT 1 FROM pg_catalog.pg_tables t WHERE t.schemaname = a.schema_name AND t.tablename = 'jobs')
 ORDER BY a.app_id`);

const ISO = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;
const iso = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', ${ISO})`;

/** A list row's columns (less the keyset's), and what describe adds. */
export interface DescribeRow extends Omit<ListRow, 'cursor_at'> {
  error: StoredFailure | null;
  context_version: string;
  /** A pending start not resumed yet: when it is scrubbed (migration 0069); null otherwise. */
  pending_until: string | null;
  attempt: number;
  step_count: number;
  children: Array<{ workflowId: string; workflowName: string; status: string; waiting: boolean }>;
  hooks: Array<{ thread: string; workflowName: string; taskQueue: string; status: string; createdAt: string; completedAt: string | null }>;
  timers: Array<{ thread: string; seq: number; dueAt: string }>;
  signals: Array<{ thread: string; seq: number; signalId: string; dueAt: string | null }>;
  awaited_children: Array<{ thread: string; seq: number; workflowId: string; status: string; waiting: boolean }>;
  journal_summary: JournalSummary | null;
  activities: Array<{ thread: string; seq: number; name: string; taskQueue: string; attempt: number; dueAt: string }>;
  unserved_topics: string[];
}

/**
 * Everything describe() answers, in one round trip: the job, its children and hooks, what its
 * threads wait for, and the topics of its pending tasks that no worker served in `servedWithinSeconds`.
 */
/** Whether a running job is waiting (none of its threads can go on now), as list() and describe() say. */
export const jobIsWaiting = defineQuery<{ jobId: string }, { waiting: boolean }>(/* sql */ `
SELECT {{schema}}.job_is_waiting($jobId) AS waiting`);

export const describeJob = defineQuery<{ jobId: string; servedWithinSeconds: number }, DescribeRow>(/* sql */ `
SELECT j.id, j.workflow_name, j.task_queue, j.entity, j.status,
       j.status = 'running' AND {{schema}}.job_is_waiting(j.id) AS waiting,
       ${iso('j.created_at')} AS created_at, ${iso('j.updated_at')} AS updated_at, ${iso('j.completed_at')} AS completed_at,
       j.parent_id, j.error, j.context_version::text AS context_version,
       (SELECT ${iso('j.expire_at')} FROM {{schema}}.tasks pt
         WHERE pt.job_id = j.id AND pt.thread = 'main' AND pt.seq = 0 AND pt.lease_owner = 'pending') AS pending_until,
       coalesce((SELECT th.failures FROM {{schema}}.threads th WHERE th.job_id = j.id AND th.thread = 'main'), 0) + 1 AS attempt,
       (SELECT count(*)::int FROM {{schema}}.journal jr WHERE jr.job_id = j.id) AS step_count,
       (SELECT th.journal_summary FROM {{schema}}.threads th
         WHERE th.job_id = j.id AND th.thread = 'main' AND th.compacted_at IS NOT NULL) AS journal_summary,
       (SELECT coalesce(json_agg(json_build_object('workflowId', c.id, 'workflowName', c.workflow_name, 'status', c.status,
                 'waiting', c.status = 'running' AND {{schema}}.job_is_waiting(c.id)) ORDER BY c.created_at, c.id), '[]')
          FROM {{schema}}.jobs c WHERE c.parent_id = j.id) AS children,
       (SELECT coalesce(json_agg(json_build_object('thread', th.thread, 'workflowName', th.workflow_name, 'taskQueue', th.task_queue,
                 'status', th.status, 'createdAt', ${iso('th.created_at')}, 'completedAt', ${iso('th.completed_at')})
                 ORDER BY th.created_at, th.thread), '[]')
          FROM {{schema}}.threads th WHERE th.job_id = j.id AND th.thread <> 'main') AS hooks,
       (SELECT coalesce(json_agg(json_build_object('thread', jr.thread, 'seq', jr.seq, 'dueAt', ${iso('jr.due_at')})
                 ORDER BY jr.due_at, jr.thread, jr.seq), '[]')
          FROM {{schema}}.journal jr
         WHERE jr.job_id = j.id AND jr.kind = 'sleep' AND jr.status = 'done' AND jr.batch IS NULL AND jr.due_at IS NOT NULL) AS timers,
       (SELECT coalesce(json_agg(json_build_object('thread', w.thread, 'seq', w.seq, 'signalId', w.signal_id, 'dueAt', ${iso('w.due_at')})
                 ORDER BY w.thread, w.seq), '[]')
          FROM {{schema}}.waiters w WHERE w.job_id = j.id) AS signals,
       (SELECT coalesce(json_agg(json_build_object('thread', c.options -> 'parent' ->> 'thread', 'seq', (c.options -> 'parent' ->> 'seq')::int,
                 'workflowId', c.id, 'status', c.status, 'waiting', c.status = 'running' AND {{schema}}.job_is_waiting(c.id))
                 ORDER BY c.created_at, c.id), '[]')
          FROM {{schema}}.jobs c
         WHERE c.parent_id = j.id AND (c.options -> 'parent' ->> 'await')::boolean
           AND NOT EXISTS (SELECT 1 FROM {{schema}}.journal pj
                            WHERE pj.job_id = j.id AND pj.thread = c.options -> 'parent' ->> 'thread'
                              AND pj.seq = (c.options -> 'parent' ->> 'seq')::int)
           -- awaited by the thread's current run: an earlier run's (before continueAsNew) no longer is
           AND (c.options -> 'parent' ->> 'seq')::int > coalesce((SELECT pt.seq_base FROM {{schema}}.threads pt
                            WHERE pt.job_id = j.id AND pt.thread = c.options -> 'parent' ->> 'thread'), 0)) AS awaited_children,
       (SELECT coalesce(json_agg(a ORDER BY a."dueAt", a.thread, a.seq), '[]') FROM (
          SELECT t.thread, t.seq, coalesce(t.payload ->> 'name', '') AS name,
                 left(t.topic, length(t.topic) - length('-activity')) AS "taskQueue",
                 coalesce((t.payload ->> 'attempt')::int, 1) AS attempt, ${iso('t.run_at')} AS "dueAt"
            FROM {{schema}}.tasks t WHERE t.job_id = j.id AND t.kind = 'activity'
          UNION ALL
          SELECT jr.thread, jr.seq, jr.name, th.task_queue, jr.attempt + 1, ${iso('jr.due_at')}
            FROM {{schema}}.journal jr JOIN {{schema}}.threads th ON th.job_id = jr.job_id AND th.thread = jr.thread
           WHERE jr.job_id = j.id AND jr.status = 'retry'
             AND NOT EXISTS (SELECT 1 FROM {{schema}}.tasks t2 WHERE t2.job_id = jr.job_id AND t2.thread = jr.thread AND t2.seq = jr.seq)
        ) a) AS activities,
       (SELECT coalesce(array_agg(DISTINCT t.topic ORDER BY t.topic), '{}')
          FROM {{schema}}.tasks t
          LEFT JOIN {{schema}}.threads th ON th.job_id = t.job_id AND th.thread = t.thread
         WHERE t.job_id = j.id AND coalesce(th.status, 'running') = 'running'
           AND NOT EXISTS (SELECT 1 FROM {{schema}}.served_topics s
                            WHERE s.topic = t.topic AND s.seen_at > now() - make_interval(secs => $servedWithinSeconds))) AS unserved_topics
  FROM {{schema}}.jobs j WHERE j.id = $jobId`);

export interface HistoryRow {
  thread: string;
  seq: number;
  kind: string;
  name: string;
  status: 'done' | 'failed' | 'retry';
  result: unknown;
  undef: boolean;
  batch: number | null;
  attempt: number;
  created_at: string;
  due_at: string | null;
}

/**
 * A job's journal over its threads: the main thread first, then hooks by thread id; by seq within each.
 * A context result journaled as a reference (migration 0028: its version and path) is given as the
 * value it stands for, rebuilt from the context log.
 */
export const readHistory = defineQuery<{ jobId: string }, HistoryRow>(/* sql */ `
SELECT j.thread, j.seq, j.kind, j.name, j.status, v.result, v.result IS NULL AS undef, j.batch, j.attempt,
       ${iso('j.created_at')} AS created_at, ${iso('j.due_at')} AS due_at
  FROM {{schema}}.journal j
 CROSS JOIN LATERAL (
   SELECT CASE WHEN j.context_version IS NULL THEN j.result
               ELSE {{schema}}.context_at(j.job_id, j.context_version) #> coalesce(j.context_path, '{}'::text[]) END AS result) v
 WHERE j.job_id = $jobId
 ORDER BY j.thread <> 'main', j.thread, j.seq`);

/** What compaction keeps of a thread's journal (migration 0043): its calls, in all and per kind. */
export interface JournalSummary {
  calls: number;
  byKind: Record<string, number>;
}

/** The main thread's arguments and names (what a WorkflowHistory carries besides its entries). */
export const readMainThread = defineQuery<
  { jobId: string },
  {
    workflow_name: string;
    task_queue: string;
    args: unknown[];
    status: string;
    compacted: boolean;
    seq_base: number;
    /** Every thread of the job whose journal was compacted (hooks too), with what was kept of it. */
    compacted_threads: Record<string, JournalSummary>;
    /** The main thread's first delivered call that failed (null: none): where a fork starts over by default. */
    first_failed_seq: number | null;
  }
>(/* sql */ `
SELECT th.workflow_name, th.task_queue, th.args, j.status, th.compacted_at IS NOT NULL AS compacted, th.seq_base,
       (SELECT min(f.seq) FROM {{schema}}.journal f
         WHERE f.job_id = j.id AND f.thread = 'main' AND f.status = 'failed' AND f.batch IS NOT NULL) AS first_failed_seq,
       (SELECT coalesce(jsonb_object_agg(c.thread, coalesce(c.journal_summary, '{"calls": 0, "byKind": {}}')), '{}')
          FROM {{schema}}.threads c WHERE c.job_id = j.id AND c.compacted_at IS NOT NULL) AS compacted_threads
  FROM {{schema}}.jobs j JOIN {{schema}}.threads th ON th.job_id = j.id AND th.thread = 'main'
 WHERE j.id = $jobId`);

/** Ask a running job to stop gracefully (migration 0023): 'requested', 'not-found' or its status. */
export const cancelJob = defineQuery<{ jobId: string; cancel: string }, { outcome: string }>(
  /* sql */ `
SELECT {{schema}}.cancel_job($jobId, $cancel::jsonb) AS outcome`,
  // it locks the task, then the job; the expiry sweep locks a pending job, then its task (0069)
  { retryConflicts: true },
);

/** A run journals the cancellation into the calls it waits on (fenced; migration 0023). */
export const cancelCalls = defineQuery<
  { taskId: string; claims: number; jobId: string; thread: string; batch: number; calls: string; failure: string },
  { seq: number }
>(/* sql */ `
SELECT seq FROM {{schema}}.cancel_calls($taskId, $claims, $jobId, $thread, $batch, $calls::jsonb, $failure::jsonb) AS seq`);

/** Resume a parked job: 'resumed', 'not-found' or its status (migration 0023). */
export const resumeJob = defineQuery<{ jobId: string; channel: string }, { outcome: string }>(
  /* sql */ `
SELECT {{schema}}.resume_job($jobId, $channel) AS outcome`,
  // as cancelJob: a resume at a pending job's deadline can meet the sweep in the other lock order
  { retryConflicts: true },
);

/** Run a failed job again from its failed call: 'retried', 'not-found' or its status (migration 0023). */
export const retryJob = defineQuery<{ jobId: string; topic: string; channel: string }, { outcome: string }>(/* sql */ `
SELECT {{schema}}.retry_job($jobId, $topic, $channel) AS outcome`);

/** A new job from a journal prefix of another: 'forked:<context version>', 'not-found' or 'duplicate'. */
export const forkJob = defineQuery<{ sourceId: string; newId: string; seq: number | null; topic: string; channel: string }, { outcome: string }>(/* sql */ `
SELECT {{schema}}.fork_job($sourceId, $newId, $seq::int, $topic, $channel) AS outcome`);

type BulkRow = { matched: number; affected: number };

const MATCH = `{{schema}}.match_jobs($statuses::text[], $waiting::boolean, $workflowName::text, $taskQueue::text, $entity::text,
  $idPrefix::text, $createdAfter::timestamptz, $createdBefore::timestamptz, $fields::text[], $values::text[]) AS m(id)`;

/** cancel_job on every match. */
export const cancelMatching = defineQuery<FilterParams & { cancel: string }, BulkRow>(/* sql */ `
SELECT count(*)::int AS matched, count(*) FILTER (WHERE r.outcome = 'requested')::int AS affected
  FROM ${MATCH}, LATERAL {{schema}}.cancel_job(m.id, $cancel::jsonb) AS r(outcome)`);

/** interrupt_job (no descent, record kept) on every match; `error` is what each stores. */
export const terminateMatching = defineQuery<FilterParams & { error: string }, BulkRow>(/* sql */ `
SELECT count(*)::int AS matched, count(*) FILTER (WHERE r.n > 0)::int AS affected
  FROM ${MATCH}, LATERAL (SELECT count(*) AS n FROM {{schema}}.interrupt_job(m.id, $error::jsonb, false, NULL)) AS r`);

/** resume_job on every match. */
export const resumeMatching = defineQuery<FilterParams & { channel: string }, BulkRow>(/* sql */ `
SELECT count(*)::int AS matched, count(*) FILTER (WHERE r.outcome = 'resumed')::int AS affected
  FROM ${MATCH}, LATERAL {{schema}}.resume_job(m.id, $channel) AS r(outcome)`);
