/**
 * Named queries on tasks: claiming under a lease, heartbeats, and releasing.
 *
 * Readiness is `run_at <= now()` alone. A claim moves run_at to the end of the lease, so a task whose
 * worker died becomes claimable again when its lease runs out, with no sweeper. `claims` is the
 * fencing token: writes made on behalf of a task name the claims value they hold.
 */

/**
 * Claim up to $4 ready tasks of the given topics for owner $1 (lease $2 seconds), and, for thread
 * tasks, load the whole journal of the thread in the same round trip. A function (migration 0008) so
 * that the journal is read after the lock, in a snapshot that sees every result its wake-up counted.
 */
export const claimTasks = /* sql */ `
SELECT * FROM {{schema}}.claim_tasks($1, $2, $3::text[], $4)`;

/**
 * Keep the leases owner $4 holds alive. Tasks it lost are simply not returned; a task its run has
 * just released (suspended, retried, parked: lease_owner NULL) is not touched, whatever the claims.
 */
export const extendLeases = /* sql */ `
UPDATE {{schema}}.tasks t
   SET run_at = now() + make_interval(secs => $3)
  FROM unnest($1::bigint[], $2::int[]) AS held(id, claims)
 WHERE t.id = held.id AND t.claims = held.claims AND t.lease_owner = $4
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

