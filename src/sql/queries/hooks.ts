/**
 * Named queries that start hook threads: another registered function running against an existing
 * job (its context, its signals), at any time, even after the main function finished.
 */

/**
 * hook() from inside a thread (fenced by $1/$2, journaled at $5 seq / $6 batch): start thread $8 on
 * job $7 running $9 from queue $10 (topic $11) with args $12. Answers how many threads it started
 * and whether the target job exists and accepts hooks.
 */
export const startHookFromThread = /* sql */ `
WITH lease AS (
  SELECT 1 FROM {{schema}}.tasks WHERE id = $1 AND claims = $2
), target AS (
  SELECT id FROM {{schema}}.jobs
   WHERE id = $7 AND (options ->> 'signalIn') IS DISTINCT FROM 'false' AND EXISTS (SELECT 1 FROM lease)
), thread AS (
  INSERT INTO {{schema}}.threads (job_id, thread, workflow_name, task_queue, args)
  SELECT id, $8, $9, $10, $12::jsonb FROM target
  ON CONFLICT DO NOTHING
  RETURNING job_id
), task AS (
  INSERT INTO {{schema}}.tasks (job_id, thread, kind, topic)
  SELECT job_id, $8, 'thread', $11 FROM thread
  ON CONFLICT DO NOTHING
), journal AS (
  INSERT INTO {{schema}}.journal (job_id, thread, seq, kind, name, status, result, batch)
  SELECT $3, $4, $5, 'hook', $9, 'done', to_jsonb($8::text), $6 FROM target
  RETURNING seq
), wake AS (
  SELECT pg_notify($13, $11 || $14) FROM thread
)
SELECT (SELECT count(*) FROM lease)::int AS held, (SELECT count(*) FROM target)::int AS found,
       (SELECT count(*) FROM journal)::int AS journaled, (SELECT count(*) FROM wake)::int AS notified`;

/** A hook started from outside (a client holding the job id). */
export const startHookOutside = /* sql */ `
WITH target AS (
  SELECT id FROM {{schema}}.jobs WHERE id = $1 AND (options ->> 'signalIn') IS DISTINCT FROM 'false'
), thread AS (
  INSERT INTO {{schema}}.threads (job_id, thread, workflow_name, task_queue, args)
  SELECT id, $2, $3, $4, $6::jsonb FROM target
  RETURNING job_id
), task AS (
  INSERT INTO {{schema}}.tasks (job_id, thread, kind, topic)
  SELECT job_id, $2, 'thread', $5 FROM thread
), wake AS (
  SELECT pg_notify($7, $5 || $8) FROM thread
)
SELECT (SELECT count(*) FROM thread)::int AS started, (SELECT count(*) FROM wake)::int AS notified`;
