/** Named queries on a job's searchable string fields (jobs_attributes; logic in migration 0003). */

/** A search op from inside a thread: applied and journaled at ($5 seq, $6 batch), fenced by $1/$2. */
export const searchOpInThread = /* sql */ `
WITH applied AS (
  SELECT {{schema}}.search_apply($7, $8, $9::jsonb) AS value
   WHERE EXISTS (SELECT 1 FROM {{schema}}.tasks WHERE id = $1 AND claims = $2)
), journal AS (
  INSERT INTO {{schema}}.journal (job_id, thread, seq, kind, name, status, result, batch)
  SELECT $3, $4, $5, 'search', $8, 'done', value, $6 FROM applied
)
SELECT value FROM applied`;

/** Every field of a job. */
export const readAttributes = /* sql */ `
SELECT field, value FROM {{schema}}.jobs_attributes WHERE job_id = $1 ORDER BY field`;
