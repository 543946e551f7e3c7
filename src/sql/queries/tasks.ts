/**
 * Named queries on tasks: claiming under a lease, heartbeats, and releasing.
 *
 * Readiness is `run_at <= now()` alone. A claim moves run_at to the end of the lease, so a task whose
 * worker died becomes claimable again when its lease runs out, with no sweeper. `claims` is the
 * fencing token: writes made on behalf of a task name the claims value they hold.
 */

/**
 * Claim up to $4 ready tasks of the given topics, and, for thread tasks, load the whole journal of
 * the thread in the same round trip.
 */
export const claimTasks = /* sql */ `
WITH claimed AS (
  UPDATE {{schema}}.tasks t
     SET lease_owner = $1, claims = t.claims + 1, run_at = now() + make_interval(secs => $2)
   WHERE t.id IN (
     SELECT id FROM {{schema}}.tasks
      WHERE topic = ANY($3::text[]) AND run_at <= now()
      ORDER BY run_at
      LIMIT $4
      FOR UPDATE SKIP LOCKED)
  RETURNING t.id, t.job_id, t.thread, t.seq, t.kind, t.topic, t.claims, t.wakeups, t.payload
)
SELECT c.id::text AS id, c.job_id, c.thread, c.seq, c.kind, c.topic, c.claims, c.wakeups, c.payload,
       th.workflow_name, th.task_queue, th.args, th.failures, th.status AS thread_status,
       j.options AS job_options, j.entity, j.status AS job_status,
       (extract(epoch FROM now()) * 1000)::float8 AS db_now,
       CASE WHEN c.kind = 'thread' THEN (
         SELECT coalesce(json_agg(json_build_object(
                  'seq', jr.seq, 'kind', jr.kind, 'name', jr.name, 'status', jr.status,
                  'result', jr.result, 'undef', jr.result IS NULL, 'attempt', jr.attempt,
                  'batch', jr.batch, 'due', extract(epoch FROM jr.due_at) * 1000) ORDER BY jr.seq), '[]')
           FROM {{schema}}.journal jr
          WHERE jr.job_id = c.job_id AND jr.thread = c.thread)
       END AS journal
  FROM claimed c
  LEFT JOIN {{schema}}.threads th ON th.job_id = c.job_id AND th.thread = c.thread
  LEFT JOIN {{schema}}.jobs j ON j.id = c.job_id`;

/** Keep the leases a worker holds alive. Tasks it lost are simply not returned. */
export const extendLeases = /* sql */ `
UPDATE {{schema}}.tasks t
   SET run_at = now() + make_interval(secs => $3)
  FROM unnest($1::bigint[], $2::int[]) AS held(id, claims)
 WHERE t.id = held.id AND t.claims = held.claims
RETURNING t.id::text AS id`;

/**
 * Suspend a thread: persist its pending timers as journal rows with a due time, and release the task
 * until the earliest due time. A wake-up that arrived while the worker held the task (wakeups moved
 * on) makes it runnable at once instead.
 */
export const suspendThread = /* sql */ `
WITH lease AS (
  SELECT id FROM {{schema}}.tasks WHERE id = $1 AND claims = $2
), timers AS (
  INSERT INTO {{schema}}.journal (job_id, thread, seq, kind, name, status, result, due_at)
  SELECT $3, $4, t.seq, 'sleep', t.name, 'done', t.value, now() + make_interval(secs => t.secs)
    FROM lease, jsonb_to_recordset($5::jsonb) AS t(seq int, name text, value jsonb, secs float8)
  ON CONFLICT DO NOTHING
  RETURNING due_at
), released AS (
  UPDATE {{schema}}.tasks
     SET lease_owner = NULL,
         run_at = CASE WHEN wakeups <> $6 THEN now()
                       ELSE least(
                         coalesce((SELECT min(due_at) FROM timers), 'infinity'),
                         coalesce(to_timestamp($7::float8 / 1000), 'infinity'))
                  END
   WHERE id = $1 AND claims = $2
  RETURNING (extract(epoch FROM run_at) * 1000)::float8 AS run_at
)
SELECT run_at FROM released`;

/**
 * Give a held task back unchanged, runnable after $3 seconds (shutdown, or an infrastructure error
 * mid-run). Only while it is still leased: a task its run already suspended, scheduled for a retry or
 * parked (lease_owner NULL, same claims) is left as that statement left it. That is what makes the
 * release safe after a closing statement whose reply was lost with the connection, committed or not.
 */
export const releaseTask = /* sql */ `
UPDATE {{schema}}.tasks SET lease_owner = NULL, run_at = now() + make_interval(secs => $3)
 WHERE id = $1 AND claims = $2 AND lease_owner IS NOT NULL`;

/** The next time any task of these topics becomes due (for the worker's local timer). */
export const nextDueTask = /* sql */ `
SELECT (extract(epoch FROM min(run_at) - now()) * 1000)::float8 AS wait_ms
  FROM {{schema}}.tasks WHERE topic = ANY($1::text[]) AND run_at < 'infinity'`;
