/**
 * Named queries on the journal. Every write made for a running thread is fenced: it happens only if
 * the task is still held with the claims value the worker got when it claimed it (lease_held()).
 */
import type { RawJournalRow } from '../../worker/claimed-task.js';
import { type CallPositionParams, defineQuery, type ThreadLeaseParams, SWEEP_LOCK } from '../define-query.js';

/**
 * Journal one result (one plpgsql call, migration 0009). Overwrites only a 'retry' row (the next
 * attempt of an activity in backoff), so a result that committed can never be replaced. Zero rows
 * back means the lease was lost.
 */
export const appendResult = defineQuery<
  CallPositionParams & { kind: string; name: string; status: 'done' | 'failed'; result: string | null; attempt: number },
  { seq: number }
>(/* sql */ `
SELECT seq FROM {{schema}}.journal_append($taskId, $claims, $jobId, $thread, $seq, $kind, $name, $status, $result::jsonb, $attempt, $batch) AS seq`);

/** Several results of one run in one statement (migration 0046); `appended` short of their count: refused. */
export const appendResults = defineQuery<ThreadLeaseParams & { entries: string }, { appended: number }>(/* sql */ `
SELECT {{schema}}.journal_append_many($taskId, $claims, $jobId, $thread, $entries::jsonb) AS appended`);

/** An activity attempt failed and will be retried after `delaySeconds`: keep the attempt count durable. */
export const recordRetry = defineQuery<
  ThreadLeaseParams & { seq: number; kind: string; name: string; failure: string; attempt: number; delaySeconds: number },
  { due_at: number }
>(/* sql */ `
INSERT INTO {{schema}}.journal (job_id, thread, seq, kind, name, status, result, attempt, due_at)
SELECT $jobId, $thread, $seq, $kind, $name, 'retry', $failure::jsonb, $attempt, now() + make_interval(secs => $delaySeconds)
 WHERE {{schema}}.lease_held($taskId, $claims)
ON CONFLICT (job_id, thread, seq) DO UPDATE
   SET result = excluded.result, attempt = excluded.attempt, due_at = excluded.due_at
 WHERE {{schema}}.journal.status = 'retry'
RETURNING (extract(epoch FROM due_at) * 1000)::float8 AS due_at`);

/**
 * Record that results completed outside the run (`seqs`) and timers that came due in memory
 * (`timers`) were delivered in `batch`.
 */
export const stampDelivered = defineQuery<ThreadLeaseParams & { seqs: number[]; timers: string; batch: number }, { held: number }>(/* sql */ `
WITH lease AS (
  SELECT 1 WHERE {{schema}}.lease_held($taskId, $claims)
), stamped AS (
  UPDATE {{schema}}.journal SET batch = $batch
   WHERE job_id = $jobId AND thread = $thread AND seq = ANY($seqs::int[]) AND batch IS NULL AND EXISTS (SELECT 1 FROM lease)
  RETURNING seq
), timers AS (
  INSERT INTO {{schema}}.journal (job_id, thread, seq, kind, name, status, result, batch)
  SELECT $jobId, $thread, t.seq, 'sleep', t.name, 'done', t.value, $batch
    FROM lease, jsonb_to_recordset($timers::jsonb) AS t(seq int, name text, value jsonb)
  RETURNING seq
)
SELECT (SELECT count(*) FROM lease)::int AS held, (SELECT count(*) FROM stamped)::int AS stamped,
       (SELECT count(*) FROM timers)::int AS timers`);

/** Journal rows of a thread at these seqs (results that arrived from outside while a run was running). */
export const readJournalRows = defineQuery<{ jobId: string; thread: string; seqs: number[] }, RawJournalRow>(/* sql */ `
SELECT seq, kind, name, status, result, result IS NULL AS undef, attempt, batch,
       (extract(epoch FROM due_at) * 1000)::float8 AS due
  FROM {{schema}}.journal WHERE job_id = $jobId AND thread = $thread AND seq = ANY($seqs::int[])`);

/** A job's journal across its threads, for handle.export(); a context reference shows as { contextVersion, path } (migration 0028). */
export const readTimeline = defineQuery<
  { jobId: string },
  { thread: string; seq: number; kind: string; name: string; status: string; result: unknown; created_at: Date }
>(/* sql */ `
SELECT thread, seq, kind, name, status,
       coalesce(result, CASE WHEN context_version IS NOT NULL
                             THEN jsonb_build_object('contextVersion', context_version, 'path', to_jsonb(context_path)) END) AS result,
       created_at
  FROM {{schema}}.journal WHERE job_id = $jobId ORDER BY created_at, thread, seq`);

/**
 * Journal retention (migration 0043): delete the journals of up to `batch` threads finished more than
 * `olderThanSeconds` ago, oldest first, and keep a summary on each thread. One process per app at a
 * time (`lockKey`, a try-lock: a sweeper that finds it taken skips this round).
 */
export const compactJournals = defineQuery<{ olderThanSeconds: number; batch: number; lockKey: string }, { compacted: number; deleted: number }>(/* sql */ `
WITH ${SWEEP_LOCK}, picked AS (
  SELECT job_id, thread FROM {{schema}}.threads
   WHERE completed_at IS NOT NULL AND compacted_at IS NULL
     AND completed_at < now() - make_interval(secs => $olderThanSeconds::float8)
     AND status IN ('completed', 'failed', 'interrupted', 'cancelled')
     AND (SELECT held FROM lock)
   ORDER BY completed_at
   LIMIT $batch::int
   FOR UPDATE SKIP LOCKED
), gone AS (
  DELETE FROM {{schema}}.journal j USING picked p
   WHERE j.job_id = p.job_id AND j.thread = p.thread
  RETURNING j.job_id, j.thread, j.kind
), per_kind AS (
  SELECT job_id, thread, kind, count(*) AS n FROM gone GROUP BY job_id, thread, kind
), summary AS (
  SELECT job_id, thread, jsonb_object_agg(kind, n) AS by_kind, sum(n)::int AS calls FROM per_kind GROUP BY job_id, thread
), marked AS (
  UPDATE {{schema}}.threads t
     SET compacted_at = now(),
         journal_summary = jsonb_build_object('calls', coalesce(s.calls, 0), 'byKind', coalesce(s.by_kind, '{}'::jsonb))
    FROM picked p LEFT JOIN summary s ON s.job_id = p.job_id AND s.thread = p.thread
   WHERE t.job_id = p.job_id AND t.thread = p.thread
  RETURNING 1
)
SELECT (SELECT count(*) FROM marked)::int AS compacted, (SELECT count(*) FROM gone)::int AS deleted`);
