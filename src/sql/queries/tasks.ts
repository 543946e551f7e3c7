/**
 * Named queries on tasks: claiming under a lease, heartbeats, and releasing.
 *
 * Readiness is `run_at <= now()` alone. A claim moves run_at to the end of the lease, so a task whose
 * worker died becomes claimable again when its lease runs out, with no sweeper. `claims` is the
 * fencing token: writes made on behalf of a task name the claims value they hold (lease_held(), or the
 * task row's own `WHERE id = … AND claims = …`).
 */
import { defineQuery, type LeaseParams, type ThreadLeaseParams } from '../define-query.js';
import type { ClaimedRow } from '../../worker/claimed-task.js';

/**
 * Claim up to `limit` ready tasks of the given topics for `owner` (lease `leaseSeconds`), and, for
 * thread tasks, load the whole journal of the thread in the same round trip. A function (migration
 * 0008) so that the journal is read after the lock, in a snapshot that sees every result its wake-up
 * counted. Since 0040 each row also says when the task became ready (for schedule-to-start), when its
 * job was started, and the trace its thread continues.
 */
export const claimTasks = defineQuery<{ owner: string; leaseSeconds: number; topics: string[]; limit: number }, ClaimedRow>(/* sql */ `
SELECT * FROM {{schema}}.claim_tasks($owner, $leaseSeconds, $topics::text[], $limit)`);

/**
 * When the next task of these topics becomes due (epoch ms, DB clock), or null: asked by a loop whose
 * claim found nothing ready (migration 0035).
 */
export const nextDue = defineQuery<{ topics: string[] }, { due: number | null; db_now: number }>(/* sql */ `
SELECT {{schema}}.next_due($topics::text[]) AS due, (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS db_now`);

/**
 * Keep the leases `owner` holds alive. Tasks it lost are simply not returned; a task its run has
 * just released (suspended, retried, parked: lease_owner NULL) is not touched, whatever the claims.
 */
export const extendLeases = defineQuery<{ ids: string[]; claims: number[]; leaseSeconds: number; owner: string }, { id: string }>(/* sql */ `
WITH locked AS (
  -- in id order, the order a group of finishes locks them in (migration 0050): no deadlock between them
  SELECT t.id
    FROM {{schema}}.tasks t
    JOIN unnest($ids::bigint[], $claims::int[]) AS held(id, claims) ON t.id = held.id AND t.claims = held.claims
   WHERE t.lease_owner = $owner
   ORDER BY t.id
     FOR NO KEY UPDATE OF t
)
UPDATE {{schema}}.tasks t
   SET run_at = now() + make_interval(secs => $leaseSeconds)
  FROM locked
 WHERE t.id = locked.id
RETURNING t.id::text AS id`);

/**
 * Suspend a thread: persist its pending timers as journal rows with a due time, and release the task
 * until the earliest due time. A wake-up that arrived while the worker held the task (wakeups moved
 * on) makes it runnable at once instead.
 */
export const suspendThread = defineQuery<
  ThreadLeaseParams & { timers: string; wakeups: number; nextDueAt: number | null },
  { run_at: number }
>(/* sql */ `
WITH lease AS (
  SELECT id FROM {{schema}}.tasks WHERE id = $taskId AND claims = $claims
), timers AS (
  INSERT INTO {{schema}}.journal (job_id, thread, seq, kind, name, status, result, due_at)
  SELECT $jobId, $thread, t.seq, 'sleep', t.name, 'done', t.value, now() + make_interval(secs => t.secs)
    FROM lease, jsonb_to_recordset($timers::jsonb) AS t(seq int, name text, value jsonb, secs float8)
  ON CONFLICT DO NOTHING
  RETURNING due_at
), released AS (
  UPDATE {{schema}}.tasks
     SET lease_owner = NULL,
         run_at = CASE WHEN wakeups <> $wakeups THEN now()
                       ELSE least(
                         coalesce((SELECT min(due_at) FROM timers), 'infinity'),
                         coalesce(to_timestamp($nextDueAt::float8 / 1000), 'infinity'))
                  END
   WHERE id = $taskId AND claims = $claims
  RETURNING (extract(epoch FROM run_at) * 1000)::float8 AS run_at
)
SELECT run_at FROM released`);

/**
 * Give a held task back unchanged, runnable after `delaySeconds` (shutdown, or an infrastructure
 * error mid-run). Only while it is still leased: a task its run already suspended, scheduled for a
 * retry or parked (lease_owner NULL, same claims) is left as that statement left it. That is what
 * makes the release safe after a closing statement whose reply was lost with the connection,
 * committed or not.
 */
export const releaseTask = defineQuery<LeaseParams & { delaySeconds: number }>(/* sql */ `
UPDATE {{schema}}.tasks SET lease_owner = NULL, run_at = now() + make_interval(secs => $delaySeconds)
 WHERE id = $taskId AND claims = $claims AND lease_owner IS NOT NULL`);

/**
 * Give a task back at shutdown, runnable now, and say so on the app's channel: the other processes
 * serving its topic claim it at once instead of at their next poll (up to `maxPollMs` later). The
 * origin tag makes this process's own listener skip it.
 */
export const releaseTaskForOthers = defineQuery<LeaseParams & { channel: string; origin: string }>(/* sql */ `
WITH released AS (
  UPDATE {{schema}}.tasks SET lease_owner = NULL, run_at = now()
   WHERE id = $taskId AND claims = $claims AND lease_owner IS NOT NULL
  RETURNING topic
)
SELECT pg_notify($channel, topic || $origin) FROM released`);

/**
 * Tasks ready to be claimed now, per topic: every topic of the app with some, and `served` topics
 * with none as 0 (the `hotmesh.tasks.ready` gauge, telemetry/metrics.ts).
 */
export const countReadyTasks = defineQuery<{ served: string[] }, { topic: string; ready: number }>(/* sql */ `
SELECT topic, count(*)::int AS ready FROM {{schema}}.tasks WHERE run_at <= now() GROUP BY topic
UNION ALL
SELECT s.topic, 0 FROM unnest($served::text[]) AS s(topic)
 WHERE NOT EXISTS (SELECT 1 FROM {{schema}}.tasks t WHERE t.topic = s.topic AND t.run_at <= now())`);
