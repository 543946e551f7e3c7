/** Named queries on signals. The locking logic lives in the SQL functions of migration 0001. */

/** Send a signal to a job ($1) or, with $1 NULL, to every waiter of the app. */
export const deliverSignal = /* sql */ `
SELECT {{schema}}.deliver_signal($1, $2, $3::jsonb) AS delivered`;

/** A thread reached waitFor: consume a buffered signal or register the waiter (fenced). */
export const waitForSignal = /* sql */ `
SELECT o_found AS found, o_data AS data, o_data IS NULL AS data_undefined, o_fenced AS fenced
  FROM {{schema}}.wait_for_signal($3, $4, $5, $6, $7, $1, $2)`;

/** signal() from inside a thread: deliver (to job $8) and journal it at ($5 seq, $9 batch), fenced. */
export const signalFromThread = /* sql */ `
WITH sent AS (
  SELECT {{schema}}.deliver_signal($8, $6, $7::jsonb) AS delivered
   WHERE EXISTS (SELECT 1 FROM {{schema}}.tasks WHERE id = $1 AND claims = $2)
), journal AS (
  INSERT INTO {{schema}}.journal (job_id, thread, seq, kind, name, status, result, batch)
  SELECT $3, $4, $5, 'signal', $6, 'done', to_jsonb($10::text), $9 FROM sent
  RETURNING seq
)
SELECT (SELECT count(*) FROM journal)::int AS journaled`;
