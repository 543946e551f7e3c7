-- 0032: fewer statements per workflow (issue 12). Two functions beside the ones they stand for
-- (0010's start_job and finish_thread stay, unchanged, for processes still running the older code).
--
-- 1. start_job_held: a start made in a process whose worker serves the topic and has a free slot
--    creates the task already held by that worker (leased, claims 1) and answers the row a claim
--    would have answered; no NOTIFY goes out (nobody else could claim it) and the worker runs it
--    without a claim statement. With p_owner NULL it is start_job: a free task and a NOTIFY.
-- 2. finish_thread_noticed: finish_thread, whose `done:` NOTIFY carries the outcome when it is small
--    (`done:<jobId>\n{"s": status, "o": output, "e": error}`; job ids have no control characters),
--    and which answers that payload, so result() waiters learn the outcome without reading the job
--    row, in this process (from the answer) and in others (from the NOTIFY). A payload that would
--    not fit under NOTIFY's 8000 bytes is the plain `done:<jobId>`: waiters read the row.

CREATE FUNCTION {{schema}}.start_job_held(
  p_id text, p_entity text, p_name text, p_queue text, p_input jsonb, p_options jsonb,
  p_search jsonb, p_parent text, p_topic text, p_channel text, p_origin text,
  p_owner text, p_lease float8)
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
  INSERT INTO {{schema}}.jobs AS x (id, entity, workflow_name, task_queue, input, options, parent_id)
  VALUES (p_id, p_entity, p_name, p_queue, p_input, p_options, p_parent)
  ON CONFLICT (id) DO NOTHING
  RETURNING x.input, x.options INTO j;
  IF NOT FOUND THEN
    RETURN; -- the id is taken: no row
  END IF;
  INSERT INTO {{schema}}.jobs_attributes (job_id, field, value) SELECT p_id, key, value FROM jsonb_each_text(p_search);
  INSERT INTO {{schema}}.threads (job_id, thread, workflow_name, task_queue, args) VALUES (p_id, 'main', p_name, p_queue, p_input);
  IF p_owner IS NULL THEN
    INSERT INTO {{schema}}.tasks (job_id, thread, kind, topic) VALUES (p_id, 'main', 'thread', p_topic)
    RETURNING tasks.id, tasks.claims INTO t;
    PERFORM pg_notify(p_channel, p_topic || p_origin);
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

-- finish_thread (0010) with the outcome in its NOTIFY. Answers NULL if the lease was lost, '' for a
-- thread other than main, and otherwise the payload it sent.
CREATE FUNCTION {{schema}}.finish_thread_noticed(
  p_task bigint, p_claims int, p_job text, p_thread text, p_status text, p_output jsonb, p_error jsonb,
  p_expire float8, p_channel text)
RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  j record;
  notice text;
BEGIN
  DELETE FROM {{schema}}.tasks WHERE id = p_task AND claims = p_claims;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  UPDATE {{schema}}.threads
     SET status = p_status, output = p_output, error = p_error, completed_at = now()
   WHERE job_id = p_job AND thread = p_thread;
  DELETE FROM {{schema}}.waiters WHERE job_id = p_job AND thread = p_thread;
  IF p_thread <> 'main' THEN
    RETURN '';
  END IF;
  UPDATE {{schema}}.jobs
     SET status = p_status, output = p_output, error = p_error, completed_at = now(), updated_at = now(),
         expire_at = CASE WHEN p_expire IS NULL THEN NULL ELSE now() + make_interval(secs => p_expire) END
   WHERE id = p_job
  RETURNING workflow_name, options INTO j;
  IF (j.options -> 'parent' ->> 'await')::boolean THEN
    INSERT INTO {{schema}}.journal (job_id, thread, seq, kind, name, status, result)
    VALUES (j.options -> 'parent' ->> 'job', j.options -> 'parent' ->> 'thread', (j.options -> 'parent' ->> 'seq')::int,
            'child', j.workflow_name, CASE WHEN p_status = 'completed' THEN 'done' ELSE 'failed' END,
            CASE WHEN p_status = 'completed' THEN p_output ELSE p_error END)
    ON CONFLICT DO NOTHING;
    IF FOUND THEN
      PERFORM {{schema}}.wake_thread(j.options -> 'parent' ->> 'job', j.options -> 'parent' ->> 'thread');
    END IF;
  END IF;
  -- the output is left out when it is undefined (SQL NULL), so a JSON null stays a JSON null
  notice := 'done:' || p_job || E'\n' || (jsonb_build_object('s', p_status)
              || CASE WHEN p_output IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('o', p_output) END
              || CASE WHEN p_error IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('e', p_error) END)::text;
  IF octet_length(notice) > 7900 THEN
    notice := 'done:' || p_job;
  END IF;
  PERFORM pg_notify(p_channel, notice);
  RETURN notice;
END
$$;
