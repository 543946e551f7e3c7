/**
 * Named queries on jobs (and the main thread they start with). `{{schema}}` is the app's quoted schema.
 */

/**
 * Start a job: the job row, its search fields ($7, already `_`-prefixed), its main thread, its first
 * task and the wake-up, in one round trip (one plpgsql call, migration 0010).
 */
export const startJob = /* sql */ `
SELECT {{schema}}.start_job($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7::jsonb, $8, $9, $10, $11)::int AS created`;

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
), attributes AS (
  DELETE FROM {{schema}}.jobs_attributes WHERE job_id IN (SELECT id FROM gone)
)
SELECT count(*)::int AS deleted FROM gone`;

/** Interrupt job $1 (and its descendants with $3); $2 is the stored error, $4 the retention. */
export const interruptJob = /* sql */ `
SELECT id FROM {{schema}}.interrupt_job($1, $2::jsonb, $3, $4::float8) AS id`;

/** interrupt() from a thread: fenced by $1/$2, journaled at ($5 seq, $6 batch). */
export const interruptFromThread = /* sql */ `
WITH lease AS (
  SELECT 1 FROM {{schema}}.tasks WHERE id = $1 AND claims = $2
), ended AS (
  SELECT {{schema}}.interrupt_job($7, $8::jsonb, $9, $10::float8) AS id FROM lease
), journal AS (
  INSERT INTO {{schema}}.journal (job_id, thread, seq, kind, name, status, result, batch)
  SELECT $3, $4, $5, 'interrupt', $7, 'done', to_jsonb($7::text), $6 FROM lease
   WHERE $11::boolean OR EXISTS (SELECT 1 FROM ended)
  RETURNING seq
)
SELECT (SELECT count(*) FROM lease)::int AS held, (SELECT count(*) FROM ended)::int AS ended,
       (SELECT count(*) FROM journal)::int AS journaled,
       EXISTS (SELECT 1 FROM {{schema}}.jobs WHERE id = $7) AS exists`;

/** Publish emit() events on the app channel, journaled once at ($5 seq, $6 batch). */
export const emitFromThread = /* sql */ `
WITH lease AS (
  SELECT 1 FROM {{schema}}.tasks WHERE id = $1 AND claims = $2
), sent AS (
  SELECT pg_notify($7, 'emit:' || e.value) FROM lease, jsonb_array_elements_text($8::jsonb) AS e(value)
), journal AS (
  INSERT INTO {{schema}}.journal (job_id, thread, seq, kind, name, status, result, batch)
  SELECT $3, $4, $5, 'emit', $9, 'done', 'true', $6 FROM lease
  RETURNING seq
)
SELECT (SELECT count(*) FROM journal)::int AS journaled, (SELECT count(*) FROM sent)::int AS sent`;
