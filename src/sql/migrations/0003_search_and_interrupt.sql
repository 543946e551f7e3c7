-- 0003: searchable string fields (upstream's jobs_attributes, so upstream SQL runs unchanged) and
-- interrupting a job.

CREATE TABLE {{schema}}.jobs_attributes (
  job_id text NOT NULL,
  field  text NOT NULL,
  value  text NOT NULL,
  PRIMARY KEY (job_id, field)
);
CREATE INDEX jobs_attributes_by_value ON {{schema}}.jobs_attributes (field, value);

-- One search op on a job's fields; answers the op's result as JSON.
--   set  {field: value, ...}   → number of fields written
--   get  [field]               → value ('' when missing)
--   mget [field, ...]          → [values]
--   del  [field, ...]          → number deleted
--   incr [field, by]           → new number (missing counts as 0)
--   mult [field, by]           → new number (missing counts as 1)
CREATE FUNCTION {{schema}}.search_apply(p_job text, p_op text, p_arg jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  n int;
  v numeric;
BEGIN
  CASE p_op
    WHEN 'set' THEN
      INSERT INTO {{schema}}.jobs_attributes (job_id, field, value)
      SELECT p_job, key, value FROM jsonb_each_text(p_arg)
      ON CONFLICT (job_id, field) DO UPDATE SET value = excluded.value;
      GET DIAGNOSTICS n = ROW_COUNT;
      RETURN to_jsonb(n);
    WHEN 'get' THEN
      RETURN to_jsonb(coalesce((SELECT value FROM {{schema}}.jobs_attributes WHERE job_id = p_job AND field = p_arg ->> 0), ''));
    WHEN 'mget' THEN
      RETURN coalesce((SELECT jsonb_agg(coalesce(a.value, '') ORDER BY f.ord)
                         FROM jsonb_array_elements_text(p_arg) WITH ORDINALITY AS f(field, ord)
                         LEFT JOIN {{schema}}.jobs_attributes a ON a.job_id = p_job AND a.field = f.field), '[]');
    WHEN 'del' THEN
      DELETE FROM {{schema}}.jobs_attributes
       WHERE job_id = p_job AND field IN (SELECT jsonb_array_elements_text(p_arg));
      GET DIAGNOSTICS n = ROW_COUNT;
      RETURN to_jsonb(n);
    WHEN 'incr', 'mult' THEN
      INSERT INTO {{schema}}.jobs_attributes AS a (job_id, field, value)
      VALUES (p_job, p_arg ->> 0,
              CASE WHEN p_op = 'incr' THEN (p_arg ->> 1)::numeric ELSE (p_arg ->> 1)::numeric END::text)
      ON CONFLICT (job_id, field) DO UPDATE
        SET value = CASE WHEN p_op = 'incr' THEN (a.value::numeric + (p_arg ->> 1)::numeric)
                         ELSE (a.value::numeric * (p_arg ->> 1)::numeric) END::text
      RETURNING value::numeric INTO v;
      RETURN to_jsonb(v);
    ELSE
      RAISE EXCEPTION 'unknown search op %', p_op USING ERRCODE = '22023';
  END CASE;
END
$$;

-- Interrupt a job (and, with p_descend, its descendants): it ends now with the given error, its
-- threads stop (their tasks are deleted, so any worker still running one is fenced out), and
-- result() waiters are told. Answers the ids interrupted; a job that already ended is skipped.
CREATE FUNCTION {{schema}}.interrupt_job(p_job text, p_error jsonb, p_descend boolean, p_expire float8) RETURNS SETOF text
LANGUAGE plpgsql AS $$
BEGIN
  RETURN QUERY
  WITH RECURSIVE targets(id) AS (
    SELECT p_job
    UNION
    SELECT j.id FROM {{schema}}.jobs j JOIN targets t ON j.parent_id = t.id WHERE p_descend
  ), ended AS (
    UPDATE {{schema}}.jobs
       SET status = 'interrupted', error = p_error || jsonb_build_object('job_id', id), completed_at = now(),
           updated_at = now(),
           expire_at = CASE WHEN p_expire IS NULL THEN expire_at ELSE now() + make_interval(secs => p_expire) END
     WHERE id IN (SELECT id FROM targets) AND status IN ('running', 'parked')
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
