/**
 * Named queries that start hook threads: another registered function running against an existing
 * job (its context, its signals), at any time, even after the main function finished.
 */
import { type CallPositionParams, defineQuery } from '../define-query.js';

interface HookParams {
  targetId: string;
  hookThread: string;
  workflowName: string;
  taskQueue: string;
  topic: string;
  args: string | null;
  channel: string;
  origin: string;
  /** The trace the hook's runs continue (JSON of a StoredTraceContext; null: the job's). */
  trace: string | null;
  /** The hook's retry policy (JSON; null: the job's). */
  config: string | null;
  /** Search fields the hook writes on its job once started (JSON object of stored names; '{}': none). */
  search: string;
}

/**
 * The CTEs both hook starts share, after `target` (the job, locked while the hook is accepted): the
 * hook's thread (none when a thread of that id exists) and its search fields.
 */
const HOOK_THREAD = `thread AS (
  INSERT INTO {{schema}}.threads (job_id, thread, workflow_name, task_queue, args, trace, config)
  SELECT id, $hookThread, $workflowName, $taskQueue, $args::jsonb, $trace::jsonb, $config::jsonb FROM target
  ON CONFLICT DO NOTHING
  RETURNING job_id
), fields AS (
  -- the hook options' search.data, written with the hook's start (catalog §2.3: after it is enqueued)
  INSERT INTO {{schema}}.jobs_attributes (job_id, field, value)
  SELECT job_id, f.key, f.value FROM thread, jsonb_each_text($search::jsonb) f
  ON CONFLICT (job_id, field) DO UPDATE SET value = excluded.value
)`;

/**
 * hook() from inside a thread (fenced, journaled at seq / batch): start thread `hookThread` on job
 * `targetId`, continuing the run's trace. Answers how many threads it started and whether the target job exists and accepts hooks.
 */
export const startHookFromThread = defineQuery<
  CallPositionParams & HookParams,
  { held: number; found: number; journaled: number; notified: number }
>(/* sql */ `
WITH lease AS (
  SELECT 1 WHERE {{schema}}.lease_held($taskId, $claims)
), target AS (
  SELECT id FROM {{schema}}.jobs
   WHERE id = $targetId AND (options ->> 'signalIn') IS DISTINCT FROM 'false' AND EXISTS (SELECT 1 FROM lease)
     FOR KEY SHARE -- held until commit: the retention sweep skips a job whose hook is being accepted
), ${HOOK_THREAD}, task AS (
  INSERT INTO {{schema}}.tasks (job_id, thread, kind, topic)
  SELECT job_id, $hookThread, 'thread', $topic FROM thread
  ON CONFLICT DO NOTHING
), journal AS (
  INSERT INTO {{schema}}.journal (job_id, thread, seq, kind, name, status, result, batch)
  SELECT $jobId, $thread, $seq, 'hook', $workflowName, 'done', to_jsonb($hookThread::text), $batch FROM target
  RETURNING seq
), wake AS (
  SELECT pg_notify($channel, $topic || $origin) FROM thread
)
SELECT (SELECT count(*) FROM lease)::int AS held, (SELECT count(*) FROM target)::int AS found,
       (SELECT count(*) FROM journal)::int AS journaled, (SELECT count(*) FROM wake)::int AS notified`);

/**
 * A hook started from outside (a client holding the job id), continuing the caller's trace. `started` 0 with `existed` true: a
 * thread of that id was already there (a retry with the same hookId), and nothing was done.
 */
export const startHookOutside = defineQuery<HookParams, { started: number; notified: number; existed: boolean }>(/* sql */ `
WITH target AS (
  SELECT id FROM {{schema}}.jobs WHERE id = $targetId AND (options ->> 'signalIn') IS DISTINCT FROM 'false'
     FOR KEY SHARE -- held until commit: the retention sweep skips a job whose hook is being accepted
), ${HOOK_THREAD}, task AS (
  INSERT INTO {{schema}}.tasks (job_id, thread, kind, topic)
  SELECT job_id, $hookThread, 'thread', $topic FROM thread
), wake AS (
  SELECT pg_notify($channel, $topic || $origin) FROM thread
)
SELECT (SELECT count(*) FROM thread)::int AS started, (SELECT count(*) FROM wake)::int AS notified,
       EXISTS (SELECT 1 FROM {{schema}}.threads WHERE job_id = $targetId AND thread = $hookThread) AS existed`);

/** Whether job `jobId` has a thread `thread` (a hook started with a hookId by a concurrent twin). */
export const threadExists = defineQuery<{ jobId: string; thread: string }, { exists: boolean }>(/* sql */ `
SELECT EXISTS (SELECT 1 FROM {{schema}}.threads WHERE job_id = $jobId AND thread = $thread) AS exists`);
