/**
 * Named queries that end or pause a thread. All fenced by the task lease ($1 id, $2 claims).
 */

/**
 * A thread returned ($5 'completed') or failed for good ($5 'failed'). The thread row records it; for
 * the main thread ($3 = job, $4 = 'main') the job row does too, with its retention ($8 seconds, NULL
 * keeps the record). The task and any leftover waiters go, and result() waiters are notified.
 */
export const finishThread = /* sql */ `
SELECT {{schema}}.finish_thread($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, $8::float8, $9) AS finished`;

/**
 * The function threw a retryable error: count the failure ($5 = new consecutive count) and run it
 * again after $6 seconds. A child that failed to start is forgotten, so the re-run starts it again.
 */
export const retryThread = /* sql */ `
WITH thread AS (
  UPDATE {{schema}}.threads SET failures = $5, error = $7::jsonb
   WHERE job_id = $3 AND thread = $4 AND EXISTS (SELECT 1 FROM {{schema}}.tasks WHERE id = $1 AND claims = $2)
  RETURNING thread
), spawns AS (
  -- a child that failed to start (a duplicate id) is tried again by the re-run (upstream semantics)
  -- only one delivered last: a spawn failure the workflow caught and went past is history to replay
  DELETE FROM {{schema}}.journal f
   WHERE f.job_id = $3 AND f.thread = $4 AND f.kind IN ('child', 'start') AND f.status = 'failed'
     AND f.result ->> 'type' = 'DuplicateJobError' AND EXISTS (SELECT 1 FROM thread)
     AND NOT EXISTS (SELECT 1 FROM {{schema}}.journal later
                      WHERE later.job_id = $3 AND later.thread = $4 AND later.batch > f.batch)
)
UPDATE {{schema}}.tasks SET lease_owner = NULL, run_at = now() + make_interval(secs => $6)
 WHERE id = $1 AND claims = $2 AND EXISTS (SELECT 1 FROM thread)
RETURNING id`;

/**
 * Replay met a different call than the journal recorded: park the thread (and, for the main thread,
 * the job) where an operator can see it. The task stays, never due, so nothing runs past that point.
 */
export const parkThread = /* sql */ `
WITH thread AS (
  UPDATE {{schema}}.threads SET status = 'parked', error = $5::jsonb
   WHERE job_id = $3 AND thread = $4 AND EXISTS (SELECT 1 FROM {{schema}}.tasks WHERE id = $1 AND claims = $2)
  RETURNING thread
), job AS (
  UPDATE {{schema}}.jobs SET status = 'parked', error = $5::jsonb, updated_at = now()
   WHERE id = $3 AND $4 = 'main' AND EXISTS (SELECT 1 FROM thread)
  RETURNING id
), task AS (
  UPDATE {{schema}}.tasks SET lease_owner = NULL, run_at = 'infinity'
   WHERE id = $1 AND claims = $2 AND EXISTS (SELECT 1 FROM thread)
), done AS (
  SELECT pg_notify($6, 'done:' || id) FROM job
)
SELECT (SELECT count(*) FROM thread)::int AS parked, (SELECT count(*) FROM done)::int AS notified`;
