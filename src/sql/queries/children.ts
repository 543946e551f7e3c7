/**
 * Named queries for child workflows: a child is a job of its own (its own context), linked to the
 * thread that started it. When an awaited child's main thread ends, its result is journaled into
 * the parent's thread at the call's seq, and the parent is woken (see finishThread).
 */

/**
 * Start child job $7 from a thread (fenced by $1/$2). $12 options carry the parent link
 * { job, thread, seq, await }. With $14 (startChild) the call is journaled at once with the child's
 * id; execChild instead waits for the child to finish. Answers whether the job was created and, if
 * it already existed, the parent link it has (so a replay recognises its own child).
 */
export const startChildFromThread = /* sql */ `
WITH lease AS (
  SELECT 1 FROM {{schema}}.tasks WHERE id = $1 AND claims = $2
), job AS (
  INSERT INTO {{schema}}.jobs (id, entity, workflow_name, task_queue, input, options, parent_id)
  SELECT $7, $8, $9, $10, $11::jsonb, $12::jsonb, $3 FROM lease
  ON CONFLICT (id) DO NOTHING
  RETURNING id
), thread AS (
  INSERT INTO {{schema}}.threads (job_id, thread, workflow_name, task_queue, args)
  SELECT id, 'main', $9, $10, $11::jsonb FROM job
), task AS (
  -- a child started without waiting (startChild) becomes runnable 100 ms later, so the parent's
  -- next call on its id (typically interrupt) lands before the child can run to completion
  INSERT INTO {{schema}}.tasks (job_id, thread, kind, topic, run_at)
  SELECT id, 'main', 'thread', $13, now() + CASE WHEN $14::boolean THEN interval '100 milliseconds' ELSE interval '0' END FROM job
), journal AS (
  INSERT INTO {{schema}}.journal (job_id, thread, seq, kind, name, status, result, batch)
  SELECT $3, $4, $5, 'start', $9, 'done', to_jsonb($7::text), $6 FROM job WHERE $14::boolean
), wake AS (
  SELECT pg_notify($15, $13 || $16) FROM job
)
SELECT (SELECT count(*) FROM lease)::int AS held, (SELECT count(*) FROM job)::int AS created,
       (SELECT count(*) FROM wake)::int AS notified,
       (SELECT options -> 'parent' FROM {{schema}}.jobs WHERE id = $7) AS existing_parent`;
