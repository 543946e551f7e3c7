-- 0012: the lease fence, written once. Every write a worker makes on behalf of a task names the
-- task and the claims value its claim got; lease_held() is the one test of that. Statements that
-- update the task row itself fence by their own `WHERE id = … AND claims = …`. The three plpgsql
-- functions that carried their own copy of the test call it instead (same bodies otherwise).

-- SQL, not plpgsql, and STABLE: the planner inlines it into the statement that calls it.
CREATE FUNCTION {{schema}}.lease_held(p_task bigint, p_claims int) RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT EXISTS (SELECT 1 FROM {{schema}}.tasks WHERE id = p_task AND claims = p_claims)
$$;

-- A thread reached waitFor(p_signal) at p_seq. Consume the oldest buffered signal for this job (or,
-- failing that, for the app) and journal it in delivery batch p_batch; otherwise register the waiter.
-- Fenced: does nothing unless the caller still holds the task's lease (p_task, p_claims).
CREATE OR REPLACE FUNCTION {{schema}}.wait_for_signal(
  p_job text, p_thread text, p_seq int, p_signal text, p_batch int, p_task bigint, p_claims int,
  OUT o_found boolean, OUT o_data jsonb, OUT o_fenced boolean)
LANGUAGE plpgsql AS $$
DECLARE
  sig record;
BEGIN
  o_found := false;
  o_fenced := NOT {{schema}}.lease_held(p_task, p_claims);
  IF o_fenced THEN RETURN; END IF;
  PERFORM pg_advisory_xact_lock(hashtextextended('hotmesh-signal:' || p_signal, 0));
  PERFORM pg_advisory_xact_lock(hashtextextended('hotmesh-signal:' || p_job || ':' || p_signal, 0));
  -- Delivered to this very wait since the caller loaded its journal: hand it over in this batch.
  UPDATE {{schema}}.journal SET batch = p_batch
   WHERE job_id = p_job AND thread = p_thread AND seq = p_seq AND batch IS NULL
  RETURNING journal.result INTO o_data;
  IF FOUND THEN
    o_found := true;
    RETURN;
  END IF;
  DELETE FROM {{schema}}.signals
   WHERE id = (SELECT id FROM {{schema}}.signals
                WHERE signal_id = p_signal AND (job_id = p_job OR job_id IS NULL)
                ORDER BY (job_id IS NULL), id LIMIT 1)
  RETURNING signals.data INTO sig;
  IF FOUND THEN
    o_found := true;
    o_data := sig.data;
    INSERT INTO {{schema}}.journal (job_id, thread, seq, kind, name, status, result, batch)
    VALUES (p_job, p_thread, p_seq, 'wait', p_signal, 'done', o_data, p_batch);
    DELETE FROM {{schema}}.waiters WHERE job_id = p_job AND thread = p_thread AND seq = p_seq;
  ELSE
    INSERT INTO {{schema}}.waiters (job_id, thread, seq, signal_id)
    VALUES (p_job, p_thread, p_seq, p_signal) ON CONFLICT DO NOTHING;
  END IF;
END
$$;

-- An op from inside a thread: fenced by the task lease (p_task, p_claims), journaled at
-- (p_seq, p_batch) in the same transaction. No row back means the lease was lost.
CREATE OR REPLACE FUNCTION {{schema}}.context_op_in_thread(
  p_task bigint, p_claims int, p_job text, p_thread text, p_seq int, p_batch int,
  p_op text, p_path text[], p_arg jsonb, p_cap int,
  OUT value jsonb, OUT undef boolean, OUT version text)
RETURNS SETOF record
LANGUAGE plpgsql AS $$
BEGIN
  IF NOT {{schema}}.lease_held(p_task, p_claims) THEN
    RETURN;
  END IF;
  -- the same op as from outside (no op id: the journal's key makes it apply once), by this thread
  SELECT o.value, o.undef, o.version INTO value, undef, version
    FROM {{schema}}.context_op(p_job, p_op, p_path, p_arg, p_cap, NULL, p_thread) o;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  INSERT INTO {{schema}}.journal (job_id, thread, seq, kind, name, status, result, batch)
  VALUES (p_job, p_thread, p_seq, 'context', p_op, 'done', value, p_batch);
  RETURN NEXT;
END
$$;

-- The per-step journal write (0009).
CREATE OR REPLACE FUNCTION {{schema}}.journal_append(
  p_task bigint, p_claims int, p_job text, p_thread text, p_seq int, p_kind text, p_name text,
  p_status text, p_result jsonb, p_attempt int, p_batch int)
RETURNS SETOF int
LANGUAGE plpgsql AS $$
BEGIN
  IF NOT {{schema}}.lease_held(p_task, p_claims) THEN
    RETURN;
  END IF;
  RETURN QUERY
  INSERT INTO {{schema}}.journal AS j (job_id, thread, seq, kind, name, status, result, attempt, batch)
  VALUES (p_job, p_thread, p_seq, p_kind, p_name, p_status, p_result, p_attempt, p_batch)
  ON CONFLICT (job_id, thread, seq) DO UPDATE
     SET status = excluded.status, result = excluded.result, attempt = excluded.attempt,
         batch = excluded.batch, due_at = NULL
   WHERE j.status = 'retry'
  RETURNING j.seq;
END
$$;
