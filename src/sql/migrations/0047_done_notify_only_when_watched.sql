-- 0047: a finish NOTIFYs `done:` only when someone outside the finishing engine may be waiting
-- (issue 12, NOTIFY pressure), and a start NOTIFYs its topic only when another process may serve it.
-- Every finish used to send one: NOTIFY serialises committing
-- transactions on a global lock, and every listening backend and process reads every message (10,000
-- sleepers woken at once: 6.5 s with it, 5.0 s without, on the team machine).
--
-- Who waits for a job's end, and how each learns it now:
--   - the engine that started it (a handle from start()): `jobs.origin` is that engine's tag. A finish
--     in the same engine answers the payload to the worker, which hands it to the waiters there
--     (engine.localDone); a finish in any other engine sends the NOTIFY.
--   - any other waiter (getHandle(...).result() in another process or runtime): its first read of the
--     job is an UPDATE that sets `jobs.watched` (memflow/result-waiter.ts). The finish updates the
--     same row, so the two are serialised by its lock: either the finish sees `watched` and sends the
--     NOTIFY, or the waiter's UPDATE returns the finished status.
--   - jobs created by other paths (children, forks, retries) have no origin: their finishes always
--     NOTIFY, as before.
-- The dashboard's live view polls (every second) besides listening.

ALTER TABLE {{schema}}.jobs ADD COLUMN origin text, ADD COLUMN watched boolean NOT NULL DEFAULT false;

-- start_job_held (0032), recording the starting engine's tag, and with p_notify: a task nobody holds
-- NOTIFYs its topic only when asked (false when the only workers of the topic are the starting
-- process's own, which it wakes in-process: start-job.ts).
CREATE FUNCTION {{schema}}.start_job_held(
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
  INSERT INTO {{schema}}.jobs_attributes (job_id, field, value) SELECT p_id, key, value FROM jsonb_each_text(p_search);
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

-- 0032's start_job_held, for processes still running the older code: the same, always notifying.
CREATE OR REPLACE FUNCTION {{schema}}.start_job_held(
  p_id text, p_entity text, p_name text, p_queue text, p_input jsonb, p_options jsonb,
  p_search jsonb, p_parent text, p_topic text, p_channel text, p_origin text,
  p_owner text, p_lease float8)
RETURNS TABLE (
  id text, job_id text, thread text, seq int, kind text, topic text, claims int, wakeups int, payload jsonb,
  workflow_name text, task_queue text, args jsonb, failures int, thread_status text,
  job_options jsonb, entity text, job_status text, db_now float8, journal json)
LANGUAGE sql AS $$
  SELECT * FROM {{schema}}.start_job_held(p_id, p_entity, p_name, p_queue, p_input, p_options, p_search, p_parent,
                                          p_topic, p_channel, p_origin, p_owner, p_lease, true)
$$;

-- finish_thread_noticed (0032), with the NOTIFY sent only as described above; answers the payload
-- either way. p_origin: the finishing engine's tag.
CREATE FUNCTION {{schema}}.finish_thread_watched(
  p_task bigint, p_claims int, p_job text, p_thread text, p_status text, p_output jsonb, p_error jsonb,
  p_expire float8, p_channel text, p_origin text)
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
  -- the output is left out when it is undefined (SQL NULL), so a JSON null stays a JSON null
  notice := 'done:' || p_job || E'\n' || (jsonb_build_object('s', p_status)
              || CASE WHEN p_output IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('o', p_output) END
              || CASE WHEN p_error IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('e', p_error) END)::text;
  IF octet_length(notice) > 7900 THEN
    notice := 'done:' || p_job;
  END IF;
  -- the finishing engine tells its own waiters (engine.localDone, from this answer); others hear the
  -- NOTIFY, sent only when the job was started by another engine or a waiter elsewhere asked for it
  IF j.watched OR j.origin IS DISTINCT FROM p_origin THEN
    PERFORM pg_notify(p_channel, notice);
  END IF;
  RETURN notice;
END
$$;

-- finish_thread_watched, after stamping the run's last deliveries (p_stamps: a JSON array of
-- {batch, seqs, timers}, as journal.stampDelivered takes them; '[]' for none) and writing its last
-- results (p_entries, as journal_append_many takes them, migration 0046; '[]' for none). NULL when
-- nothing was finished: the lease was lost, or a result was refused (its seq had one).
CREATE FUNCTION {{schema}}.finish_thread_journaled(
  p_task bigint, p_claims int, p_job text, p_thread text, p_entries jsonb, p_stamps jsonb, p_status text,
  p_output jsonb, p_error jsonb, p_expire float8, p_channel text, p_origin text)
RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  s record;
BEGIN
  IF jsonb_array_length(p_stamps) > 0 THEN
    IF NOT {{schema}}.lease_held(p_task, p_claims) THEN
      RETURN NULL;
    END IF;
    FOR s IN SELECT * FROM jsonb_to_recordset(p_stamps) AS x(batch int, seqs int[], timers jsonb) LOOP
      UPDATE {{schema}}.journal SET batch = s.batch
       WHERE job_id = p_job AND thread = p_thread AND seq = ANY(s.seqs) AND batch IS NULL;
      INSERT INTO {{schema}}.journal (job_id, thread, seq, kind, name, status, result, batch)
      SELECT p_job, p_thread, t.seq, 'sleep', t.name, 'done', t.value, s.batch
        FROM jsonb_to_recordset(s.timers) AS t(seq int, name text, value jsonb);
    END LOOP;
  END IF;
  IF jsonb_array_length(p_entries) > 0
     AND {{schema}}.journal_append_many(p_task, p_claims, p_job, p_thread, p_entries) < jsonb_array_length(p_entries) THEN
    RETURN NULL;
  END IF;
  RETURN {{schema}}.finish_thread_watched(p_task, p_claims, p_job, p_thread, p_status, p_output, p_error, p_expire, p_channel, p_origin);
END
$$;
