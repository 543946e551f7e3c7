/**
 * Named queries that end or pause a thread. All fenced by the task lease.
 */
import { defineQuery, type ThreadLeaseParams } from '../define-query.js';

/**
 * A thread returned (`status` 'completed') or failed for good ('failed'). The thread row records it;
 * for the main thread the job row does too, with its retention (`expireSeconds`, NULL keeps the
 * record). The task and any leftover waiters go, and result() waiters are notified: for the main
 * thread, `notice` is the `done:` payload sent (with the outcome when it fits, migration 0032), '' for
 * other threads, NULL when the lease was lost. The run's results not written yet (`entries`, a JSON
 * array of CallSite's PendingResult, '[]' for none) and its deliveries not stamped yet (`stamps`, of
 * PendingStamp) are written first (migrations 0046, 0047); NULL too when one of them was refused. The
 * `done:` NOTIFY goes out only when the job was started by another engine (`origin`: this one's tag)
 * or a waiter elsewhere asked for it (jobs.watched, migration 0047).
 */
export const finishThread = defineQuery<
  ThreadLeaseParams & {
    entries: string;
    stamps: string;
    status: 'completed' | 'failed' | 'cancelled';
    output: string | null;
    error: string | null;
    expireSeconds: number | null;
    channel: string;
    origin: string;
  },
  { notice: string | null }
>(/* sql */ `
SELECT {{schema}}.finish_thread_journaled($taskId, $claims, $jobId, $thread, $entries::jsonb, $stamps::jsonb, $status, $output::jsonb, $error::jsonb, $expireSeconds::float8, $channel, $origin) AS notice`);

/** finishThread for several runs at once (group commit, migration 0050): `items` a JSON array of its params. */
export const finishThreads = defineQuery<{ items: string }, { notice: string | null; idx: number }>(/* sql */ `
SELECT idx, notice FROM {{schema}}.finish_threads_journaled($items::jsonb)`);

/**
 * The function threw a retryable error: count the failure (`failures` = new consecutive count) and
 * run it again after `delaySeconds`. A child that failed to start is forgotten, so the re-run starts
 * it again.
 */
export const retryThread = defineQuery<ThreadLeaseParams & { failures: number; delaySeconds: number; error: string }>(/* sql */ `
WITH thread AS (
  UPDATE {{schema}}.threads SET failures = $failures, error = $error::jsonb
   WHERE job_id = $jobId AND thread = $thread AND {{schema}}.lease_held($taskId, $claims)
  RETURNING thread
), spawns AS (
  -- a child that failed to start (a duplicate id) is tried again by the re-run (upstream semantics)
  -- only one delivered last: a spawn failure the workflow caught and went past is history to replay
  DELETE FROM {{schema}}.journal f
   WHERE f.job_id = $jobId AND f.thread = $thread AND f.kind IN ('child', 'start') AND f.status = 'failed'
     AND f.result ->> 'type' = 'DuplicateJobError' AND EXISTS (SELECT 1 FROM thread)
     AND NOT EXISTS (SELECT 1 FROM {{schema}}.journal later
                      WHERE later.job_id = $jobId AND later.thread = $thread AND later.batch > f.batch)
)
UPDATE {{schema}}.tasks SET lease_owner = NULL, run_at = now() + make_interval(secs => $delaySeconds)
 WHERE id = $taskId AND claims = $claims AND EXISTS (SELECT 1 FROM thread)
RETURNING id`);

/**
 * Replay met a different call than the journal recorded: park the thread (and, for the main thread,
 * the job) where an operator can see it. The task stays, never due, so nothing runs past that point.
 * The job's `done:` NOTIFY follows finish_thread_watched's rule (migration 0047): only when another
 * engine started the job (`origin`) or a waiter elsewhere watches it; waiters in this process hear of
 * the park from the run itself (Engine.localDone), after its metrics are recorded.
 */
export const parkThread = defineQuery<ThreadLeaseParams & { error: string; channel: string; origin: string }, { parked: number; notified: number }>(/* sql */ `
WITH thread AS (
  UPDATE {{schema}}.threads SET status = 'parked', error = $error::jsonb
   WHERE job_id = $jobId AND thread = $thread AND {{schema}}.lease_held($taskId, $claims)
  RETURNING thread
), job AS (
  UPDATE {{schema}}.jobs SET status = 'parked', error = $error::jsonb, updated_at = now()
   WHERE id = $jobId AND $thread = 'main' AND EXISTS (SELECT 1 FROM thread)
  RETURNING id, origin, watched
), task AS (
  UPDATE {{schema}}.tasks SET lease_owner = NULL, run_at = 'infinity'
   WHERE id = $taskId AND claims = $claims AND EXISTS (SELECT 1 FROM thread)
), done AS (
  SELECT pg_notify($channel, 'done:' || id) FROM job WHERE watched OR origin IS DISTINCT FROM $origin
)
SELECT (SELECT count(*) FROM thread)::int AS parked, (SELECT count(*) FROM done)::int AS notified`);

/**
 * continueAsNew: the run ends and the thread starts over with `args`, its calls counted on from
 * `lastSeq` (migration 0042). False when the lease was lost (nothing changed).
 */
export const continueThread = defineQuery<ThreadLeaseParams & { args: string; lastSeq: number }, { continued: boolean }>(/* sql */ `
SELECT {{schema}}.continue_thread($taskId, $claims, $jobId, $thread, $args::jsonb, $lastSeq::int) AS continued`);
