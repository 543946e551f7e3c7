-- 0046: a step's result commits with the run's next statement (issue 12). An inline activity's
-- result changes nothing outside its run, so the worker keeps it in memory and writes it with
-- whatever the run does next; a run that ends right after its last step writes that step and its end
-- in one statement. 0009's journal_append and 0032's finish_thread_noticed stay, unchanged, for
-- processes still running the older code.
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

-- finish_thread_noticed, after writing the run's last results (p_entries, as above; '[]' for none)
-- and stamping its last deliveries (p_stamps: a JSON array of {batch, seqs, timers}, as
-- journal.stampDelivered takes them; '[]' for none). NULL when nothing was finished: the lease was
-- lost, or a result was refused (its seq had one).
CREATE FUNCTION {{schema}}.finish_thread_journaled(
  p_task bigint, p_claims int, p_job text, p_thread text, p_entries jsonb, p_stamps jsonb, p_status text,
  p_output jsonb, p_error jsonb, p_expire float8, p_channel text)
RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  s record;
BEGIN
  IF jsonb_array_length(p_stamps) > 0 THEN
    IF NOT {{schema}}.lease_held(p_task, p_claims) THEN
      RETURN NULL;
    END IF;
    FOR s IN SELECT * FROM jsonb_to_recordset(p_stamps) AS x(batch int, seqs int[], timers jsonb) LOOP
      UPDATE {{schema}}.journal SET batch = s.batch
       WHERE job_id = p_job AND thread = p_thread AND seq = ANY(s.seqs) AND batch IS NULL;
      INSERT INTO {{schema}}.journal (job_id, thread, seq, kind, name, status, result, batch)
      SELECT p_job, p_thread, t.seq, 'sleep', t.name, 'done', t.value, s.batch
        FROM jsonb_to_recordset(s.timers) AS t(seq int, name text, value jsonb);
    END LOOP;
  END IF;
  IF jsonb_array_length(p_entries) > 0
     AND {{schema}}.journal_append_many(p_task, p_claims, p_job, p_thread, p_entries) < jsonb_array_length(p_entries) THEN
    RETURN NULL;
  END IF;
  RETURN {{schema}}.finish_thread_noticed(p_task, p_claims, p_job, p_thread, p_status, p_output, p_error, p_expire, p_channel);
END
$$;
