-- 0067: the two statements of a 1-step workflow do less (issue 12, the 1-step latency).
--
-- finish_thread_fenced: finish_thread_journaled (0047) in one function, with the same parameters and
-- answers. The task's DELETE is the fence and comes first, so the row is locked once (0047 took a KEY
-- SHARE lock in lease_held, then the DELETE's), and no nested plpgsql function runs
-- (journal_append_many, lease_held, finish_thread_watched). A result whose seq already had one (a run
-- that did not replay it) refuses the end as 0047 did: the task goes back as it was, the results
-- written stay written (as a group's, 0053), and the answer is NULL. Measured with pgbench,
-- synchronous_commit off, server time per call (track_functions) against start_job_held's in the same
-- runs: 1.24-1.25x before, 1.08-1.09x after (about 25 us less). 0047's function stays for processes
-- still running the older code.
--
-- start_job_held: the search-attribute insert runs only when there are attributes (an INSERT ...
-- SELECT over an empty jsonb_each_text still starts an executor).

CREATE FUNCTION {{schema}}.finish_thread_fenced(
  p_task bigint, p_claims int, p_job text, p_thread text, p_entries jsonb, p_stamps jsonb, p_status text,
  p_output jsonb, p_error jsonb, p_expire float8, p_channel text, p_origin text)
RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  s record;
  j record;
  held {{schema}}.tasks%ROWTYPE;
  n int;
  notice text;
BEGIN
  -- the fence: the task row, locked by its delete before anything else is written
  DELETE FROM {{schema}}.tasks WHERE id = p_task AND claims = p_claims RETURNING * INTO held;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  IF jsonb_array_length(p_stamps) > 0 THEN
    FOR s IN SELECT * FROM jsonb_to_recordset(p_stamps) AS x(batch int, seqs int[], timers jsonb) LOOP
      UPDATE {{schema}}.journal SET batch = s.batch
       WHERE job_id = p_job AND thread = p_thread AND seq = ANY(s.seqs) AND batch IS NULL;
      INSERT INTO {{schema}}.journal (job_id, thread, seq, kind, name, status, result, batch)
      SELECT p_job, p_thread, t.seq, 'sleep', t.name, 'done', t.value, s.batch
        FROM jsonb_to_recordset(s.timers) AS t(seq int, name text, value jsonb);
    END LOOP;
  END IF;
  IF jsonb_array_length(p_entries) > 0 THEN
    INSERT INTO {{schema}}.journal AS jr (job_id, thread, seq, kind, name, status, result, attempt, batch)
    SELECT p_job, p_thread, e.seq, e.kind, e.name, e.status, e.result::jsonb, e.attempt, e.batch
      FROM jsonb_to_recordset(p_entries) AS e(seq int, kind text, name text, status text, result text, attempt int, batch int)
     ORDER BY e.seq
    ON CONFLICT (job_id, thread, seq) DO UPDATE
       SET status = excluded.status, result = excluded.result, attempt = excluded.attempt,
           batch = excluded.batch, due_at = NULL
     WHERE jr.status = 'retry';
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n < jsonb_array_length(p_entries) THEN
      -- a seq already had a result this run did not replay: the end is refused, the task stays
      INSERT INTO {{schema}}.tasks VALUES (held.*);
      RETURN NULL;
    END IF;
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
  RETURNING workflow_name, options, origin, watched INTO j;
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
  notice := 'done:' || p_job || E'\n' || (jsonb_build_object('s', p_status)
              || CASE WHEN p_output IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('o', p_output) END
              || CASE WHEN p_error IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('e', p_error) END)::text;
  IF octet_length(notice) > 7900 THEN
    notice := 'done:' || p_job;
  END IF;
  -- the NOTIFY rule of 0047: only when another engine started the job or a waiter elsewhere watches it
  IF j.watched OR j.origin IS DISTINCT FROM p_origin THEN
    PERFORM pg_notify(p_channel, notice);
  END IF;
  RETURN notice;
END
$$;

-- start_job_held (0047), with the attribute insert skipped when there are none
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
