-- 0062: a cancel asked for before a timer is due cancels that sleep, however late the run that
-- delivers it comes (a black-box pass: with two worker processes, cancel() resolved 22-130 ms before
-- a short sleep was due, and the workflow still slept to its end and completed).
-- cancel_calls kept a timer only while `due_at > now()`, now() being the delivering run's moment:
-- a run claimed after the timer was due delivered it as done, and a workflow that then returned never
-- met the request. The request now carries the database's time it was made (`at`, which the client's
-- clock gave before), and a timer is cancelled when it was due after that. A request stored before
-- this migration keeps the client's time.
CREATE OR REPLACE FUNCTION {{schema}}.cancel_job(p_job text, p_cancel jsonb) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  v_status text;
  v_asked boolean;
BEGIN
  PERFORM FROM {{schema}}.tasks WHERE job_id = p_job AND thread = 'main' AND seq = 0 FOR NO KEY UPDATE;
  SELECT status, options ? 'cancel' INTO v_status, v_asked FROM {{schema}}.jobs WHERE id = p_job FOR NO KEY UPDATE;
  IF NOT FOUND THEN
    RETURN 'not-found';
  END IF;
  IF v_status <> 'running' THEN
    RETURN v_status;
  END IF;
  IF NOT v_asked THEN
    UPDATE {{schema}}.jobs SET options = options || jsonb_build_object('cancel', p_cancel || jsonb_build_object('at', now())), updated_at = now()
     WHERE id = p_job;
  END IF;
  PERFORM {{schema}}.wake_thread(p_job, 'main');
  RETURN 'requested';
END
$$;

CREATE OR REPLACE FUNCTION {{schema}}.cancel_calls(
  p_task bigint, p_claims int, p_job text, p_thread text, p_batch int, p_calls jsonb, p_failure jsonb)
RETURNS SETOF int
LANGUAGE plpgsql AS $$
DECLARE
  v_asked timestamptz;
BEGIN
  IF NOT {{schema}}.lease_held(p_task, p_claims) THEN
    RETURN;
  END IF;
  SELECT (options -> 'cancel' ->> 'at')::timestamptz INTO v_asked FROM {{schema}}.jobs WHERE id = p_job;
  DELETE FROM {{schema}}.waiters w
   USING jsonb_to_recordset(p_calls) AS c(seq int, kind text, name text)
   WHERE w.job_id = p_job AND w.thread = p_thread AND w.seq = c.seq;
  DELETE FROM {{schema}}.tasks t
   USING jsonb_to_recordset(p_calls) AS c(seq int, kind text, name text)
   WHERE t.job_id = p_job AND t.thread = p_thread AND t.seq = c.seq AND t.kind = 'activity';
  RETURN QUERY
  INSERT INTO {{schema}}.journal AS j (job_id, thread, seq, kind, name, status, result, attempt, batch)
  SELECT p_job, p_thread, c.seq, c.kind, c.name, 'failed', p_failure, 1, p_batch
    FROM jsonb_to_recordset(p_calls) AS c(seq int, kind text, name text)
  ON CONFLICT (job_id, thread, seq) DO UPDATE
     SET status = 'failed', result = excluded.result, batch = excluded.batch, due_at = NULL
   -- only a timer due after the request was made, or an activity in backoff: a result that arrived
   -- meanwhile is kept (fewer seqs back: the run stops and its next run delivers that result first)
   WHERE j.batch IS NULL AND (j.status = 'retry' OR j.due_at > coalesce(v_asked, now()))
  RETURNING j.seq;
END
$$;
