/**
 * Named queries on jobs (and the main thread they start with). `{{schema}}` is the app's quoted schema.
 */

/** Start a job: the job row, its main thread, its first task and the wake-up, in one round trip. */
export const startJob = /* sql */ `
WITH job AS (
  INSERT INTO {{schema}}.jobs (id, entity, workflow_name, task_queue, input, options, search, parent_id)
  VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7::jsonb, $8)
  ON CONFLICT (id) DO NOTHING
  RETURNING id
), thread AS (
  INSERT INTO {{schema}}.threads (job_id, thread, workflow_name, task_queue, args)
  SELECT id, 'main', $3, $4, $5::jsonb FROM job
), task AS (
  INSERT INTO {{schema}}.tasks (job_id, thread, kind, topic)
  SELECT id, 'main', 'thread', $9 FROM job
), wake AS (
  SELECT pg_notify($10, $9) FROM job
)
SELECT (SELECT count(*) FROM job)::int AS created, (SELECT count(*) FROM wake)::int AS notified`;

/** The job's state as handles read it. */
export const readJob = /* sql */ `
SELECT id, entity, workflow_name, task_queue, status, input, output, output IS NULL AS output_undefined,
       error, context, context_version, search, options, created_at, updated_at, completed_at, expire_at
  FROM {{schema}}.jobs WHERE id = $1`;

export const readJobStatus = /* sql */ `
SELECT status, output, output IS NULL AS output_undefined, error FROM {{schema}}.jobs WHERE id = $1`;

/** Jobs whose retention ran out (only jobs started with `expire` have one). */
export const deleteExpiredJobs = /* sql */ `
WITH gone AS (
  DELETE FROM {{schema}}.jobs
   WHERE id IN (SELECT id FROM {{schema}}.jobs WHERE expire_at <= now() ORDER BY expire_at LIMIT 500)
  RETURNING id
), threads AS (
  DELETE FROM {{schema}}.threads WHERE job_id IN (SELECT id FROM gone)
), journal AS (
  DELETE FROM {{schema}}.journal WHERE job_id IN (SELECT id FROM gone)
), tasks AS (
  DELETE FROM {{schema}}.tasks WHERE job_id IN (SELECT id FROM gone)
), waiters AS (
  DELETE FROM {{schema}}.waiters WHERE job_id IN (SELECT id FROM gone)
), signals AS (
  DELETE FROM {{schema}}.signals WHERE job_id IN (SELECT id FROM gone)
), log AS (
  DELETE FROM {{schema}}.context_log WHERE job_id IN (SELECT id FROM gone)
)
SELECT count(*)::int AS deleted FROM gone`;
