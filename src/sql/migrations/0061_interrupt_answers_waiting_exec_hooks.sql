-- 0061: a hook started by execHook and ended by an interrupt of its job sends its failure to the job
-- that waits on it (docs/design-decisions.md, "A hook that fails for good fails its execHook").
-- The interrupt ended the hook's thread and nothing told the waiter: an execHook on another job's
-- hook waited forever once that job was interrupted or terminated (the API's terminate calls this
-- function too). Now each such hook that has not answered yet delivers the interruption, as a hook
-- failure naming its thread, to its waiting job, unless that job ends in the same interrupt (an
-- execHook on its own job's hook: nothing is left to wake). The rest is 0059's function unchanged.
CREATE OR REPLACE FUNCTION {{schema}}.interrupt_job(p_job text, p_error jsonb, p_descend boolean, p_expire float8) RETURNS SETOF text
LANGUAGE plpgsql AS $$
DECLARE
  v_targets text[];
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
  PERFORM FROM {{schema}}.tasks WHERE job_id = ANY(v_targets) ORDER BY id FOR UPDATE;
  SELECT coalesce(array_agg(id), '{}') INTO v_ending
    FROM {{schema}}.jobs WHERE id = ANY(v_targets) AND status IN ('running', 'parked');
  -- the execHook replies owed by hooks this interrupt ends (hookReply in src/replay/hook-signal.ts)
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
  -- after the statement above: a waiter of a hook is a job this interrupt does not end
  FOR r IN SELECT * FROM jsonb_to_recordset(v_owed) AS x(job_id text, thread text, target text, signal text)
            ORDER BY x.target, x.signal LOOP
    PERFORM {{schema}}.deliver_signal(r.target, r.signal, jsonb_build_object(
      '$memflowHookFailure', true, 'thread', r.thread, 'error', p_error || jsonb_build_object('job_id', r.job_id)));
  END LOOP;
END
$$;
