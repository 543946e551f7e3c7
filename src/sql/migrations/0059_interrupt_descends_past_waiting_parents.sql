-- 0059: interrupt({ descend: true }) of a parent waiting in execChild (a black-box pass).
-- interrupt_job (0017) ends the parent and its child in one statement, and the child's end also wrote
-- its failure into the parent's journal and woke the parent's thread: wake_thread updated the
-- parent's task row, which the same statement's DELETE of ended jobs' tasks then met, and PostgreSQL
-- refused the whole statement ("tuple to be deleted was already modified by an operation triggered
-- by the current command"). Nothing was interrupted; `handle.interrupt` rejected with that error, and
-- a workflow that made the call re-ran every second for good. A parent ended by the same interrupt
-- has nothing to wake, so the child's failure now goes only to parents that stay running.
CREATE OR REPLACE FUNCTION {{schema}}.interrupt_job(p_job text, p_error jsonb, p_descend boolean, p_expire float8) RETURNS SETOF text
LANGUAGE plpgsql AS $$
DECLARE
  v_targets text[];
BEGIN
  WITH RECURSIVE targets(id) AS (
    SELECT p_job
    UNION
    SELECT j.id FROM {{schema}}.jobs j JOIN targets t ON j.parent_id = t.id WHERE p_descend
  )
  SELECT array_agg(id) INTO v_targets FROM targets;
  PERFORM FROM {{schema}}.tasks WHERE job_id = ANY(v_targets) ORDER BY id FOR UPDATE;
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
END
$$;
