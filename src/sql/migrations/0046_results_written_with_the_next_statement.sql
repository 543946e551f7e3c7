-- 0046: a step's result commits with the run's next statement (issue 12). An inline activity's
-- result changes nothing outside its run, so the worker keeps it in memory and writes it with
-- whatever the run does next; a run that ends right after its last step writes that step and its end
-- in one statement (finish_thread_journaled, migration 0047). 0009's journal_append stays, unchanged.
--
-- journal_append_many: several results in one fenced statement. p_entries is a JSON array of
-- {seq, kind, name, status, result, attempt, batch}, `result` the JSON text of the value (null: no
-- value, so a JSON null stays a JSON null). Answers how many were written: fewer than given means the
-- lease was lost (none) or a seq already had a result (the run aborts either way).
CREATE FUNCTION {{schema}}.journal_append_many(p_task bigint, p_claims int, p_job text, p_thread text, p_entries jsonb)
RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
  n int;
BEGIN
  IF NOT {{schema}}.lease_held(p_task, p_claims) THEN
    RETURN 0;
  END IF;
  WITH written AS (
    INSERT INTO {{schema}}.journal AS j (job_id, thread, seq, kind, name, status, result, attempt, batch)
    SELECT p_job, p_thread, e.seq, e.kind, e.name, e.status, e.result::jsonb, e.attempt, e.batch
      FROM jsonb_to_recordset(p_entries) AS e(seq int, kind text, name text, status text, result text, attempt int, batch int)
     ORDER BY e.seq
    ON CONFLICT (job_id, thread, seq) DO UPDATE
       SET status = excluded.status, result = excluded.result, attempt = excluded.attempt,
           batch = excluded.batch, due_at = NULL
     WHERE j.status = 'retry'
    RETURNING 1
  )
  SELECT count(*) INTO n FROM written;
  RETURN n;
END
$$;
