/**
 * Named queries for remote activities: an activity routed to another task queue becomes a task; the
 * thread suspends until an activity worker journals its result into the thread and wakes it.
 */
import { defineQuery, type LeaseParams, type ThreadLeaseParams } from '../define-query.js';

/** Schedule activity `seq` of a thread as a task on `topic` (fenced; idempotent per seq). */
export const scheduleActivity = defineQuery<
  ThreadLeaseParams & { seq: number; topic: string; payload: string; channel: string; origin: string },
  { held: number; notified: number }
>(/* sql */ `
WITH lease AS (
  SELECT 1 WHERE {{schema}}.lease_held($taskId, $claims)
), task AS (
  INSERT INTO {{schema}}.tasks (job_id, thread, seq, kind, topic, payload)
  SELECT $jobId, $thread, $seq, 'activity', $topic, $payload::jsonb FROM lease
   WHERE NOT EXISTS (SELECT 1 FROM {{schema}}.journal
                      WHERE job_id = $jobId AND thread = $thread AND seq = $seq AND status <> 'retry') -- already done
  ON CONFLICT (job_id, thread, seq) DO NOTHING
  RETURNING topic
), wake AS (
  SELECT pg_notify($channel, topic || $origin) FROM task
)
SELECT (SELECT count(*) FROM lease)::int AS held, (SELECT count(*) FROM wake)::int AS notified`);

/** An activity task finished for good (`status` 'done' or 'failed'): journal it into its thread and wake it. */
export const finishActivityTask = defineQuery<
  LeaseParams & { name: string; status: 'done' | 'failed'; result: string | null; attempt: number },
  { held: number; woken: number }
>(/* sql */ `
WITH task AS (
  DELETE FROM {{schema}}.tasks WHERE id = $taskId AND claims = $claims RETURNING job_id, thread, seq
), journal AS (
  INSERT INTO {{schema}}.journal (job_id, thread, seq, kind, name, status, result, attempt)
  SELECT job_id, thread, seq, 'activity', $name, $status, $result::jsonb, $attempt FROM task
  ON CONFLICT (job_id, thread, seq) DO UPDATE
     SET status = excluded.status, result = excluded.result, attempt = excluded.attempt, batch = NULL, due_at = NULL
   WHERE {{schema}}.journal.status = 'retry' -- an inline attempt in backoff, now finished remotely
  RETURNING job_id, thread
), woken AS (
  SELECT {{schema}}.wake_thread(job_id, thread) FROM journal
)
SELECT (SELECT count(*) FROM task)::int AS held, (SELECT count(*) FROM woken)::int AS woken`);

/** An activity attempt failed and will be retried after `delaySeconds` (attempt count kept in the payload). */
export const retryActivityTask = defineQuery<LeaseParams & { attempt: number; delaySeconds: number }>(/* sql */ `
UPDATE {{schema}}.tasks
   SET lease_owner = NULL, run_at = now() + make_interval(secs => $delaySeconds),
       payload = jsonb_set(payload, '{attempt}', to_jsonb($attempt::int))
 WHERE id = $taskId AND claims = $claims
RETURNING id`);
