/**
 * Named queries on signals. The locking logic lives in SQL functions (migrations 0001, 0012, 0019):
 * a send and a wait on the same (job, signal id) serialise on advisory transaction locks.
 */
import { type CallPositionParams, defineQuery, SWEEP_LOCK } from '../define-query.js';

/**
 * How long an app-wide signal nobody waits for is kept by default, and an idempotency key remembered:
 * 7 days (long enough for any client retry, short enough that unclaimed signals do not pile up).
 */
export const SIGNAL_RETENTION_SECONDS = 7 * 86_400;

/** What an outside signal did (migration 0019's signal_job / signal_app). */
export type SignalOutcome = 'delivered' | 'kept' | 'duplicate' | 'not-found' | 'finished';

/**
 * A signal from outside to job `jobId`: delivered to its newest waiter, or kept for its next waitFor
 * (until `expireSeconds`, NULL: while a thread of the job runs). Refused ('not-found', 'finished')
 * when no thread of the job could ever receive it; a `signalKey` seen before makes it a 'duplicate'.
 */
export const signalJob = defineQuery<
  { jobId: string; signalId: string; data: string; signalKey: string | null; expireSeconds: number | null },
  { outcome: SignalOutcome }
>(/* sql */ `
SELECT {{schema}}.signal_job($jobId, $signalId, $data::jsonb, $signalKey, $expireSeconds::float8) AS outcome`);

/** A signal from outside to every thread of the app waiting on `signalId`, or kept until `expireSeconds`. */
export const signalApp = defineQuery<
  { signalId: string; data: string; signalKey: string | null; expireSeconds: number | null },
  { outcome: SignalOutcome }
>(/* sql */ `
SELECT {{schema}}.signal_app($signalId, $data::jsonb, $signalKey, $expireSeconds::float8) AS outcome`);

/**
 * Drop what no waitFor will consume: buffered signals past their deadline, job-addressed ones whose
 * job has no thread running or parked any more, and idempotency keys older than `keySeconds`. Run by
 * every task loop's sweeper, in bounded batches; one process per app at a time (`lockKey`, a try-lock).
 */
export const sweepSignals = defineQuery<{ keySeconds: number; lockKey: string }, { expired: number; orphaned: number; keys: number }>(/* sql */ `
WITH ${SWEEP_LOCK}, expired AS (
  DELETE FROM {{schema}}.signals
   WHERE id IN (SELECT id FROM {{schema}}.signals WHERE expire_at <= now() AND (SELECT held FROM lock) ORDER BY expire_at LIMIT 1000)
  RETURNING id
), orphaned AS (
  DELETE FROM {{schema}}.signals
   WHERE id IN (SELECT s.id FROM {{schema}}.signals s
                 WHERE s.job_id IS NOT NULL AND (SELECT held FROM lock)
                   AND NOT EXISTS (SELECT 1 FROM {{schema}}.threads t
                                    WHERE t.job_id = s.job_id AND t.status IN ('running', 'parked'))
                 LIMIT 1000)
  RETURNING id
), keys AS (
  DELETE FROM {{schema}}.signal_keys
   WHERE (job_id, signal_id, signal_key) IN (
     SELECT job_id, signal_id, signal_key FROM {{schema}}.signal_keys
      WHERE created_at < now() - make_interval(secs => $keySeconds) AND (SELECT held FROM lock) ORDER BY created_at LIMIT 1000)
  RETURNING 1
)
SELECT (SELECT count(*) FROM expired)::int AS expired, (SELECT count(*) FROM orphaned)::int AS orphaned,
       (SELECT count(*) FROM keys)::int AS keys`);

/** A thread reached waitFor: consume a buffered signal or register the waiter (fenced). */
export const waitForSignal = defineQuery<
  CallPositionParams & { signalId: string },
  { found: boolean; data: unknown; data_undefined: boolean; fenced: boolean }
>(/* sql */ `
SELECT o_found AS found, o_data AS data, o_data IS NULL AS data_undefined, o_fenced AS fenced
  FROM {{schema}}.wait_for_signal($jobId, $thread, $seq, $signalId, $batch, $taskId, $claims)`);

/**
 * waitFor with a timeout (migration 0014): as waitForSignal, plus the waiter's deadline; once it
 * passed, the timeout is journaled (`timeoutFailure`) and the waiter retired, atomically.
 */
export const waitForSignalUntil = defineQuery<
  CallPositionParams & { signalId: string; timeoutMs: number; timeoutFailure: string },
  { found: boolean; data: unknown; data_undefined: boolean; fenced: boolean; timed_out: boolean; due: number | null }
>(/* sql */ `
SELECT o_found AS found, o_data AS data, o_data IS NULL AS data_undefined, o_fenced AS fenced, o_timed_out AS timed_out, o_due AS due
  FROM {{schema}}.wait_for_signal_until($jobId, $thread, $seq, $signalId, $batch, $taskId, $claims, $timeoutMs::float8, $timeoutFailure::jsonb)`);

/** signal() from inside a thread: deliver (to job `targetId`) and journal it at (seq, batch), fenced. */
export const signalFromThread = defineQuery<
  CallPositionParams & { signalId: string; data: string; targetId: string; messageId: string },
  { journaled: number }
>(/* sql */ `
WITH sent AS (
  SELECT {{schema}}.deliver_signal($targetId, $signalId, $data::jsonb) AS delivered
   WHERE {{schema}}.lease_held($taskId, $claims)
), journal AS (
  INSERT INTO {{schema}}.journal (job_id, thread, seq, kind, name, status, result, batch)
  SELECT $jobId, $thread, $seq, 'signal', $signalId, 'done', to_jsonb($messageId::text), $batch FROM sent
  RETURNING seq
)
SELECT (SELECT count(*) FROM journal)::int AS journaled`);

/**
 * A hook started by execHook failed for good: its failure goes to the signal the waiting job expects,
 * unless the hook sent that signal already (it answered, then failed). Fenced by the hook's lease, so
 * a run that lost it sends nothing.
 */
export const hookFailed = defineQuery<
  { taskId: string; claims: number; jobId: string; thread: string; targetId: string; signalId: string; data: string },
  { delivered: number | null }
>(/* sql */ `
SELECT {{schema}}.deliver_signal($targetId, $signalId, $data::jsonb) AS delivered
 WHERE {{schema}}.lease_held($taskId, $claims)
   AND NOT EXISTS (SELECT 1 FROM {{schema}}.journal j
                    WHERE j.job_id = $jobId AND j.thread = $thread AND j.kind = 'signal' AND j.name = $signalId)`);
