-- 0014: waitFor(signalId, { timeout }). The deadline is kept on the waiter row, so it survives a
-- crash and a replay keeps the first deadline. Once the deadline passed, the thread calls the
-- function again: under the same advisory locks deliver_signal takes, it either finds the signal
-- that arrived first (and takes it), or retires the waiter and journals the timeout (the failure the
-- caller passes) in one statement. A signal can never land in a waiter that timed out.

ALTER TABLE {{schema}}.waiters ADD COLUMN due_at timestamptz;

CREATE FUNCTION {{schema}}.wait_for_signal_until(
  p_job text, p_thread text, p_seq int, p_signal text, p_batch int, p_task bigint, p_claims int,
  p_timeout_ms float8, p_timeout_failure jsonb,
  OUT o_found boolean, OUT o_data jsonb, OUT o_fenced boolean, OUT o_timed_out boolean, OUT o_due float8)
LANGUAGE plpgsql AS $$
DECLARE
  v_due timestamptz;
BEGIN
  o_timed_out := false;
  -- consume a delivered or buffered signal, or register the waiter (takes the signal locks)
  SELECT w.o_found, w.o_data, w.o_fenced INTO o_found, o_data, o_fenced
    FROM {{schema}}.wait_for_signal(p_job, p_thread, p_seq, p_signal, p_batch, p_task, p_claims) w;
  IF o_fenced OR o_found THEN
    RETURN;
  END IF;
  UPDATE {{schema}}.waiters
     SET due_at = coalesce(due_at, now() + make_interval(secs => p_timeout_ms / 1000))
   WHERE job_id = p_job AND thread = p_thread AND seq = p_seq
  RETURNING due_at INTO v_due;
  IF v_due <= now() THEN
    DELETE FROM {{schema}}.waiters WHERE job_id = p_job AND thread = p_thread AND seq = p_seq;
    INSERT INTO {{schema}}.journal (job_id, thread, seq, kind, name, status, result, batch)
    VALUES (p_job, p_thread, p_seq, 'wait', p_signal, 'failed', p_timeout_failure, p_batch);
    o_timed_out := true;
    RETURN;
  END IF;
  o_due := extract(epoch FROM v_due) * 1000;
END
$$;
