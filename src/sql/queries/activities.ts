/**
 * Named queries for remote activities: an activity routed to another task queue becomes a task; the
 * thread suspends until an activity worker journals its result into the thread and wakes it.
 */

/** Schedule activity ($5 seq) of a thread as a task on topic $6 (fenced by $1/$2; idempotent per seq). */
export const scheduleActivity = /* sql */ `
WITH lease AS (
  SELECT 1 FROM {{schema}}.tasks WHERE id = $1 AND claims = $2
), task AS (
  INSERT INTO {{schema}}.tasks (job_id, thread, seq, kind, topic, payload)
  SELECT $3, $4, $5, 'activity', $6, $7::jsonb FROM lease
   WHERE NOT EXISTS (SELECT 1 FROM {{schema}}.journal
                      WHERE job_id = $3 AND thread = $4 AND seq = $5 AND status <> 'retry') -- already done
  ON CONFLICT (job_id, thread, seq) DO NOTHING
  RETURNING topic
), wake AS (
  SELECT pg_notify($8, topic || $9) FROM task
)
SELECT (SELECT count(*) FROM lease)::int AS held, (SELECT count(*) FROM wake)::int AS notified`;

/** An activity task finished for good ($4 'done' or 'failed'): journal it into its thread and wake it. */
export const finishActivityTask = /* sql */ `
WITH task AS (
  DELETE FROM {{schema}}.tasks WHERE id = $1 AND claims = $2 RETURNING job_id, thread, seq
), journal AS (
  INSERT INTO {{schema}}.journal (job_id, thread, seq, kind, name, status, result, attempt)
  SELECT job_id, thread, seq, 'activity', $3, $4, $5::jsonb, $6 FROM task
  ON CONFLICT (job_id, thread, seq) DO UPDATE
     SET status = excluded.status, result = excluded.result, attempt = excluded.attempt, batch = NULL, due_at = NULL
   WHERE {{schema}}.journal.status = 'retry' -- an inline attempt in backoff, now finished remotely
  RETURNING job_id, thread
), woken AS (
  SELECT {{schema}}.wake_thread(job_id, thread) FROM journal
)
SELECT (SELECT count(*) FROM task)::int AS held, (SELECT count(*) FROM woken)::int AS woken`;

/** An activity attempt failed and will be retried after $4 seconds (attempt count $3 kept in the payload). */
export const retryActivityTask = /* sql */ `
UPDATE {{schema}}.tasks
   SET lease_owner = NULL, run_at = now() + make_interval(secs => $4),
       payload = jsonb_set(payload, '{attempt}', to_jsonb($3::int))
 WHERE id = $1 AND claims = $2
RETURNING id`;
