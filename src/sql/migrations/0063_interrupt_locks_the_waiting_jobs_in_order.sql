-- 0063: interrupt_job as 0061 made it, taking the task rows of the jobs it will tell in the same
-- id-ordered pass as its own (a review of 0061: jobs A and B whose execHooks each waited on a hook
-- of the other, interrupted at once, deadlocked on PostgreSQL, since each statement locked its own
-- job's tasks, then the other's to wake its waiter). The jobs a hook of the interrupted jobs answers
-- are read from the hooks' reply markers before the lock, and locked with the rest; a waiter that
-- is no longer running or parked when the failure would go (ended by this interrupt, by an earlier
-- one of the same bulk terminate, or by itself) is left alone rather than sent a signal nothing
-- would ever read. The rest is 0061's function unchanged.
CREATE OR REPLACE FUNCTION {{schema}}.interrupt_job(p_job text, p_error jsonb, p_descend boolean, p_expire float8) RETURNS SETOF text
LANGUAGE plpgsql AS $$
DECLARE
  v_targets text[];
  v_waiters text[];
  v_ending text[];
  v_owed jsonb;
  r record;
BEGIN
  WITH RECURSIVE targets(id) AS (
    SELECT p_job
    UNION
    SELECT j.id FROM {{schema}}.jobs j JOIN targets t ON j.parent_id = t.id WHERE p_descend
  )
  SELECT array_agg(id) INTO v_targets FROM targets;
  -- the jobs that hooks of the targets may answer (hookReply in src/replay/hook-signal.ts), read
  -- before the lock so that their tasks are locked in the same pass, in id order
  SELECT coalesce(array_agg(DISTINCT t.args -> -1 ->> 'job'), '{}') INTO v_waiters
    FROM {{schema}}.threads t
   WHERE t.job_id = ANY(v_targets) AND t.thread <> 'main' AND t.status IN ('running', 'parked')
     AND jsonb_typeof(t.args -> -1) = 'object' AND t.args -> -1 -> '$memflow' = 'true'::jsonb
     AND jsonb_typeof(t.args -> -1 -> 'job') = 'string';
  PERFORM FROM {{schema}}.tasks WHERE job_id = ANY(v_targets || v_waiters) ORDER BY id FOR UPDATE;
  SELECT coalesce(array_agg(id), '{}') INTO v_ending
    FROM {{schema}}.jobs WHERE id = ANY(v_targets) AND status IN ('running', 'parked');
  -- the execHook replies owed by hooks this interrupt ends
  SELECT coalesce(jsonb_agg(jsonb_build_object('job_id', t.job_id, 'thread', t.thread,
           'target', t.args -> -1 ->> 'job', 'signal', t.args -> -1 ->> 'signal')), '[]')
    INTO v_owed
    FROM {{schema}}.threads t
   WHERE t.job_id = ANY(v_ending) AND t.thread <> 'main' AND t.status IN ('running', 'parked')
     AND jsonb_typeof(t.args -> -1) = 'object' AND t.args -> -1 -> '$memflow' = 'true'::jsonb
     AND jsonb_typeof(t.args -> -1 -> 'job') = 'string' AND jsonb_typeof(t.args -> -1 -> 'signal') = 'string'
     AND NOT (t.args -> -1 ->> 'job' = ANY(v_ending))
     AND NOT EXISTS (SELECT 1 FROM {{schema}}.journal j
                      WHERE j.job_id = t.job_id AND j.thread = t.thread AND j.kind = 'signal' AND j.name = t.args -> -1 ->> 'signal');
  RETURN QUERY
  WITH ended AS (
    UPDATE {{schema}}.jobs
       SET status = 'interrupted', error = p_error || jsonb_build_object('job_id', id), completed_at = now(),
           updated_at = now(),
           expire_at = CASE WHEN p_expire IS NULL THEN expire_at ELSE now() + make_interval(secs => p_expire) END
     WHERE id = ANY(v_targets) AND status IN ('running', 'parked')
    RETURNING id
  ), threads AS (
    UPDATE {{schema}}.threads SET status = 'interrupted', completed_at = now()
     WHERE job_id IN (SELECT id FROM ended) AND status IN ('running', 'parked')
  ), tasks AS (
    DELETE FROM {{schema}}.tasks WHERE job_id IN (SELECT id FROM ended)
  ), waiters AS (
    DELETE FROM {{schema}}.waiters WHERE job_id IN (SELECT id FROM ended)
  ), parents AS (
    -- a parent waiting in execChild gets the interruption as the child's failure
    INSERT INTO {{schema}}.journal (job_id, thread, seq, kind, name, status, result)
    SELECT j.options -> 'parent' ->> 'job', j.options -> 'parent' ->> 'thread', (j.options -> 'parent' ->> 'seq')::int,
           'child', j.workflow_name, 'failed', p_error || jsonb_build_object('job_id', j.id)
      FROM {{schema}}.jobs j
     WHERE j.id IN (SELECT id FROM ended) AND (j.options -> 'parent' ->> 'await')::boolean
       AND (j.options -> 'parent' ->> 'job') NOT IN (SELECT id FROM ended)
    ON CONFLICT DO NOTHING
    RETURNING job_id, thread
  ), woken AS (
    SELECT {{schema}}.wake_thread(job_id, thread) FROM parents
  ), done AS (
    SELECT id, pg_notify({{channel}}, 'done:' || id) FROM ended
  )
  SELECT id FROM done WHERE (SELECT count(*) FROM woken) >= 0;
  -- after the statement above: each owed reply goes to a waiter that still runs
  FOR r IN SELECT * FROM jsonb_to_recordset(v_owed) AS x(job_id text, thread text, target text, signal text)
            ORDER BY x.target, x.signal LOOP
    CONTINUE WHEN NOT EXISTS (SELECT 1 FROM {{schema}}.jobs WHERE id = r.target AND status IN ('running', 'parked'));
    PERFORM {{schema}}.deliver_signal(r.target, r.signal, jsonb_build_object(
      '$memflowHookFailure', true, 'thread', r.thread, 'error', p_error || jsonb_build_object('job_id', r.job_id)));
  END LOOP;
END
$$;
