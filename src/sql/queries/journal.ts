/**
 * Named queries on the journal. Every write made for a running thread is fenced: it happens only if
 * the task ($1) is still held with the claims value ($2) the worker got when it claimed it.
 */

/**
 * Journal one result (one plpgsql call, migration 0009). Overwrites only a 'retry' row (the next
 * attempt of an activity in backoff), so a result that committed can never be replaced. Zero rows
 * back means the lease was lost.
 */
export const appendResult = /* sql */ `
SELECT seq FROM {{schema}}.journal_append($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, $11) AS seq`;

/** An activity attempt failed and will be retried after $10 seconds: keep the attempt count durable. */
export const recordRetry = /* sql */ `
INSERT INTO {{schema}}.journal (job_id, thread, seq, kind, name, status, result, attempt, due_at)
SELECT $3, $4, $5, $6, $7, 'retry', $8::jsonb, $9, now() + make_interval(secs => $10)
 WHERE EXISTS (SELECT 1 FROM {{schema}}.tasks WHERE id = $1 AND claims = $2)
ON CONFLICT (job_id, thread, seq) DO UPDATE
   SET result = excluded.result, attempt = excluded.attempt, due_at = excluded.due_at
 WHERE {{schema}}.journal.status = 'retry'
RETURNING (extract(epoch FROM due_at) * 1000)::float8 AS due_at`;

/**
 * Record that results completed outside the run ($5 seqs) and timers that came due in memory ($6)
 * were delivered in batch $7.
 */
export const stampDelivered = /* sql */ `
WITH lease AS (
  SELECT id FROM {{schema}}.tasks WHERE id = $1 AND claims = $2
), stamped AS (
  UPDATE {{schema}}.journal SET batch = $7
   WHERE job_id = $3 AND thread = $4 AND seq = ANY($5::int[]) AND batch IS NULL AND EXISTS (SELECT 1 FROM lease)
  RETURNING seq
), timers AS (
  INSERT INTO {{schema}}.journal (job_id, thread, seq, kind, name, status, result, batch)
  SELECT $3, $4, t.seq, 'sleep', t.name, 'done', t.value, $7
    FROM lease, jsonb_to_recordset($6::jsonb) AS t(seq int, name text, value jsonb)
  RETURNING seq
)
SELECT (SELECT count(*) FROM lease)::int AS held, (SELECT count(*) FROM stamped)::int AS stamped,
       (SELECT count(*) FROM timers)::int AS timers`;

/** A job's journal across its threads, for handle.export(). */
export const readTimeline = /* sql */ `
SELECT thread, seq, kind, name, status, result, created_at
  FROM {{schema}}.journal WHERE job_id = $1 ORDER BY created_at, thread, seq`;
