-- 0010: starting a job and finishing a thread as one plpgsql call each, for the same reason as 0009
-- (their plans are cached per session; PGlite plans a statement on every call otherwise). Same
-- semantics as the statements they replace (queries/jobs.ts startJob, queries/threads.ts finishThread).

-- Create job p_id with its search fields, main thread and first task, and wake its topic. Answers
-- false when the id is taken (the unique key decides, never a check in JavaScript).
CREATE FUNCTION {{schema}}.start_job(
  p_id text, p_entity text, p_name text, p_queue text, p_input jsonb, p_options jsonb,
  p_search jsonb, p_parent text, p_topic text, p_channel text, p_origin text)
RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO {{schema}}.jobs (id, entity, workflow_name, task_queue, input, options, parent_id)
  VALUES (p_id, p_entity, p_name, p_queue, p_input, p_options, p_parent)
  ON CONFLICT (id) DO NOTHING;
  IF NOT FOUND THEN
    RETURN false;
  END IF;
  INSERT INTO {{schema}}.jobs_attributes (job_id, field, value) SELECT p_id, key, value FROM jsonb_each_text(p_search);
  INSERT INTO {{schema}}.threads (job_id, thread, workflow_name, task_queue, args) VALUES (p_id, 'main', p_name, p_queue, p_input);
  INSERT INTO {{schema}}.tasks (job_id, thread, kind, topic) VALUES (p_id, 'main', 'thread', p_topic);
  PERFORM pg_notify(p_channel, p_topic || p_origin);
  RETURN true;
END
$$;

-- A thread returned (p_status 'completed') or failed for good ('failed'), fenced by its task lease.
-- For the main thread the job records it too (with its retention), an awaiting parent gets the
-- result journaled and is woken, and result() waiters are notified. Answers false if the lease was lost.
CREATE FUNCTION {{schema}}.finish_thread(
  p_task bigint, p_claims int, p_job text, p_thread text, p_status text, p_output jsonb, p_error jsonb,
  p_expire float8, p_channel text)
RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
  j record;
BEGIN
  DELETE FROM {{schema}}.tasks WHERE id = p_task AND claims = p_claims;
  IF NOT FOUND THEN
    RETURN false;
  END IF;
  UPDATE {{schema}}.threads
     SET status = p_status, output = p_output, error = p_error, completed_at = now()
   WHERE job_id = p_job AND thread = p_thread;
  DELETE FROM {{schema}}.waiters WHERE job_id = p_job AND thread = p_thread;
  IF p_thread <> 'main' THEN
    RETURN true;
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
  PERFORM pg_notify(p_channel, 'done:' || p_job);
  RETURN true;
END
$$;
