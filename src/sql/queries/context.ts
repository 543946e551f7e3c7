/**
 * Named queries on a job's context. Each op is one statement: apply (in SQL, see migration 0002),
 * bump the version, log it, and, inside a thread, journal its result, all in one commit.
 * Ops that answer with the whole document: set, merge, delete. The others answer with the value at
 * their path.
 */

/** An op from inside a workflow or hook: fenced by the task lease, journaled at ($5 seq, $6 batch). */
export const contextOpInThread = /* sql */ `
WITH upd AS (
  UPDATE {{schema}}.jobs
     SET context = {{schema}}.context_apply(context, $7, $8::text[], $9::jsonb, $10),
         context_version = context_version + 1, updated_at = now()
   WHERE id = $3 AND EXISTS (SELECT 1 FROM {{schema}}.tasks WHERE id = $1 AND claims = $2)
  RETURNING context_version,
            CASE WHEN $7 IN ('set', 'merge', 'delete') THEN context ELSE {{schema}}.context_get_path(context, $8::text[]) END AS value
), log AS (
  INSERT INTO {{schema}}.context_log (job_id, version, op, path, arg, actor)
  SELECT $3, context_version, $7, $8::text[], $9::jsonb, $4 FROM upd
), journal AS (
  INSERT INTO {{schema}}.journal (job_id, thread, seq, kind, name, status, result, batch)
  SELECT $3, $4, $5, 'context', $7, 'done', value, $6 FROM upd
)
SELECT value, value IS NULL AS undef, context_version::text AS version FROM upd`;

/** A read from inside a thread: journaled like any other call, so replay sees what the first run saw. */
export const contextGetInThread = /* sql */ `
WITH val AS (
  SELECT {{schema}}.context_get_path(context, $7::text[]) AS value FROM {{schema}}.jobs
   WHERE id = $3 AND EXISTS (SELECT 1 FROM {{schema}}.tasks WHERE id = $1 AND claims = $2)
), journal AS (
  INSERT INTO {{schema}}.journal (job_id, thread, seq, kind, name, status, result, batch)
  SELECT $3, $4, $5, 'context', 'get', 'done', value, $6 FROM val
)
SELECT value, value IS NULL AS undef FROM val`;

/**
 * An op from outside (a client holding the job id). $6 op id makes a retried call apply once: an op
 * id already in the log is not applied again (zero rows back; the caller reads the first result).
 * Two concurrent calls with one new op id both get past that check; the unique index on the log then
 * fails the second, whose caller also reads the first result.
 */
export const contextOpOutside = /* sql */ `
WITH upd AS (
  UPDATE {{schema}}.jobs
     SET context = {{schema}}.context_apply(context, $2, $3::text[], $4::jsonb, $5),
         context_version = context_version + 1, updated_at = now()
   WHERE id = $1
     AND ($6::text IS NULL OR NOT EXISTS (SELECT 1 FROM {{schema}}.context_log WHERE job_id = $1 AND op_id = $6))
  RETURNING context_version,
            CASE WHEN $2 IN ('set', 'merge', 'delete') THEN context ELSE {{schema}}.context_get_path(context, $3::text[]) END AS value
), log AS (
  INSERT INTO {{schema}}.context_log (job_id, version, op, path, arg, actor, op_id, result)
  SELECT $1, context_version, $2, $3::text[], $4::jsonb, $7, $6, CASE WHEN $6::text IS NULL THEN NULL ELSE value END FROM upd
)
SELECT value, value IS NULL AS undef, context_version::text AS version FROM upd`;

/** What an op with this op id returned the first time. */
export const contextOpById = /* sql */ `
SELECT result AS value, result IS NULL AS undef, version::text AS version
  FROM {{schema}}.context_log WHERE job_id = $1 AND op_id = $2`;

export const contextGet = /* sql */ `
SELECT value, value IS NULL AS undef, version
  FROM (SELECT {{schema}}.context_get_path(context, $2::text[]) AS value, context_version::text AS version
          FROM {{schema}}.jobs WHERE id = $1) AS j`;

export const contextHistory = /* sql */ `
SELECT l.version::text AS version, l.op, l.path, l.arg, l.actor, l.op_id, l.created_at
  FROM {{schema}}.context_log l WHERE l.job_id = $1 AND l.version > $2 ORDER BY l.version LIMIT $3`;

export const contextAtVersion = /* sql */ `
SELECT {{schema}}.context_at($1, $2) AS context`;
