/** Named queries on a job's searchable string fields (jobs_attributes; logic in migration 0003). */
import { type CallPositionParams, defineQuery } from '../define-query.js';

/** A search op from inside a thread: applied and journaled at (seq, batch), fenced. */
export const searchOpInThread = defineQuery<CallPositionParams & { op: string; arg: string }, { value: unknown }>(/* sql */ `
WITH applied AS (
  SELECT {{schema}}.search_apply($jobId, $op, $arg::jsonb) AS value
   WHERE {{schema}}.lease_held($taskId, $claims)
), journal AS (
  INSERT INTO {{schema}}.journal (job_id, thread, seq, kind, name, status, result, batch)
  SELECT $jobId, $thread, $seq, 'search', $op, 'done', value, $batch FROM applied
)
SELECT value FROM applied`);

/** Every field of a job. */
export const readAttributes = defineQuery<{ jobId: string }, { field: string; value: string }>(/* sql */ `
SELECT field, value FROM {{schema}}.jobs_attributes WHERE job_id = $jobId ORDER BY field`);
