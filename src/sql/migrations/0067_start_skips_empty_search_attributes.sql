-- 0067: a start writes no search attributes when it has none (issue 12, the 1-step latency): an
-- INSERT ... SELECT over an empty jsonb_each_text still starts an executor. start_job_held as 0047
-- made it, with that insert guarded.

CREATE OR REPLACE FUNCTION {{schema}}.start_job_held(
  p_id text, p_entity text, p_name text, p_queue text, p_input jsonb, p_options jsonb,
  p_search jsonb, p_parent text, p_topic text, p_channel text, p_origin text,
  p_owner text, p_lease float8, p_notify boolean)
RETURNS TABLE (
  id text, job_id text, thread text, seq int, kind text, topic text, claims int, wakeups int, payload jsonb,
  workflow_name text, task_queue text, args jsonb, failures int, thread_status text,
  job_options jsonb, entity text, job_status text, db_now float8, journal json)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  j record;
  t record;
BEGIN
  INSERT INTO {{schema}}.jobs AS x (id, entity, workflow_name, task_queue, input, options, parent_id, origin)
  VALUES (p_id, p_entity, p_name, p_queue, p_input, p_options, p_parent, p_origin)
  ON CONFLICT (id) DO NOTHING
  RETURNING x.input, x.options INTO j;
  IF NOT FOUND THEN
    RETURN; -- the id is taken: no row
  END IF;
  IF p_search IS NOT NULL AND p_search <> '{}'::jsonb THEN
    INSERT INTO {{schema}}.jobs_attributes (job_id, field, value) SELECT p_id, key, value FROM jsonb_each_text(p_search);
  END IF;
  INSERT INTO {{schema}}.threads (job_id, thread, workflow_name, task_queue, args) VALUES (p_id, 'main', p_name, p_queue, p_input);
  IF p_owner IS NULL THEN
    INSERT INTO {{schema}}.tasks (job_id, thread, kind, topic) VALUES (p_id, 'main', 'thread', p_topic)
    RETURNING tasks.id, tasks.claims INTO t;
    IF p_notify THEN
      PERFORM pg_notify(p_channel, p_topic || p_origin);
    END IF;
  ELSE
    INSERT INTO {{schema}}.tasks (job_id, thread, kind, topic, lease_owner, claims, run_at)
    VALUES (p_id, 'main', 'thread', p_topic, p_owner, 1, now() + make_interval(secs => p_lease))
    RETURNING tasks.id, tasks.claims INTO t;
  END IF;
  RETURN QUERY SELECT t.id::text, p_id, 'main'::text, 0, 'thread'::text, p_topic, t.claims, 0, NULL::jsonb,
                      p_name, p_queue, j.input, 0, 'running'::text, j.options, p_entity, 'running'::text,
                      (extract(epoch FROM clock_timestamp()) * 1000)::float8, '[]'::json;
END
$$;
