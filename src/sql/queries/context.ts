/**
 * Named queries on a job's context. Each op is one statement: apply (in SQL, see migration 0002),
 * bump the version, log it, and, inside a thread, journal its result, all in one commit.
 * Ops that answer with the whole document: set, merge, delete. The others answer with the value at
 * their path.
 */

/**
 * An op from inside a workflow or hook: fenced by the task lease ($1/$2), applied, versioned, logged
 * and journaled at ($5 seq, $6 batch) in one call (migration 0006). No row back: the lease was lost.
 */
export const contextOpInThread = /* sql */ `
SELECT value, undef, version FROM {{schema}}.context_op_in_thread($1, $2, $3, $4, $5, $6, $7, $8::text[], $9::jsonb, $10)`;

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
 * An op from outside (a client holding the job id), in one call (migration 0006). $6 op id makes a
 * retried call apply once: an op id already in the log is not applied again (no row back; the caller
 * reads the first result). Two concurrent calls with one new op id both get past that check; the
 * unique index on the log then fails the second, whose caller also reads the first result.
 */
export const contextOpOutside = /* sql */ `
SELECT value, undef, version FROM {{schema}}.context_op($1, $2, $3::text[], $4::jsonb, $5, $6, $7)`;

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
