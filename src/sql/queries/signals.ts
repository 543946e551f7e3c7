/** Named queries on signals. The locking logic lives in the SQL functions of migration 0001. */
import { type CallPositionParams, defineQuery } from '../define-query.js';

/** Send a signal to a job or, with `jobId` NULL, to every waiter of the app. */
export const deliverSignal = defineQuery<{ jobId: string | null; signalId: string; data: string }, { delivered: unknown }>(/* sql */ `
SELECT {{schema}}.deliver_signal($jobId, $signalId, $data::jsonb) AS delivered`);

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
