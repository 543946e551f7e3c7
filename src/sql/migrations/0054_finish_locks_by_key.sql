-- 0054: a group of finishes (0053) takes its task locks through the tasks key. 0053 joined the
-- group's task ids (and its awaiting parents') to the tasks table; the planner sized the id list at
-- 100 rows and, while the queue held fewer than about 25k rows (dead ones included), chose a hash
-- join over a sequential scan of the whole queue, once per group: 0.8 ms of a 3 ms finish statement
-- at the 13k rows a bench database had gathered. The ids now go as one array (`t.id = ANY
-- (ARRAY(...))`), which the tasks primary key answers row by row whatever the queue holds. Nothing
-- else changes: the same locks in the same id order, the same writes and answers as 0053 (whose
-- header says what each item answers).
-- What stays: PL/pgSQL caches a statement's plan per session, and after five calls may keep a
-- generic one made from the statistics of that moment; one made while the queue was a few rows
-- long can still scan it until the next ANALYZE (autovacuum's, on PostgreSQL) replans it. Every
-- PL/pgSQL statement here shares that; forcing custom plans would plan this function on every call.
CREATE OR REPLACE FUNCTION {{schema}}.finish_threads_journaled(p_items jsonb)
RETURNS TABLE (idx int, notice text)
LANGUAGE plpgsql
SET lock_timeout = '100ms'
AS $$
#variable_conflict use_column
DECLARE
  r record;
BEGIN
  -- every task row the group changes, its own and its awaiting parents', locked in id order; the ids
  -- go as one array so the primary key finds each row (a join was planned as a scan of the queue)
  PERFORM 1
     FROM {{schema}}.tasks t
    WHERE t.id = ANY (ARRAY(
            SELECT (x ->> 'taskId')::bigint FROM jsonb_array_elements(p_items) x
            UNION
            SELECT p.id
              FROM {{schema}}.jobs j
              JOIN {{schema}}.tasks p ON p.job_id = j.options -> 'parent' ->> 'job'
                                     AND p.thread = j.options -> 'parent' ->> 'thread' AND p.seq = 0
             WHERE j.id = ANY (ARRAY(SELECT x ->> 'jobId' FROM jsonb_array_elements(p_items) x WHERE x ->> 'thread' = 'main'))
               AND (j.options -> 'parent' ->> 'await')::boolean))
    ORDER BY t.id
      FOR NO KEY UPDATE OF t;

  -- the others, one by one
  FOR r IN
    SELECT * FROM jsonb_to_recordset(p_items) AS x(
      i int, "taskId" bigint, claims int, "jobId" text, thread text, entries text, stamps text, status text,
      output text, error text, "expireSeconds" float8, channel text, origin text)
     WHERE x.thread <> 'main' OR x.stamps::jsonb <> '[]'::jsonb
     ORDER BY x."taskId"
  LOOP
    idx := r.i;
    notice := {{schema}}.finish_thread_journaled(r."taskId", r.claims, r."jobId", r.thread, r.entries::jsonb,
                                                 r.stamps::jsonb, r.status, r.output::jsonb, r.error::jsonb,
                                                 r."expireSeconds", r.channel, r.origin);
    RETURN NEXT;
  END LOOP;

  -- the plain ones, together
  FOR r IN
    WITH items AS MATERIALIZED (
      SELECT x.*, x.output::jsonb AS output_json, x.error::jsonb AS error_json
        FROM jsonb_to_recordset(p_items) AS x(
          i int, "taskId" bigint, claims int, "jobId" text, thread text, entries text, stamps text, status text,
          output text, error text, "expireSeconds" float8, channel text, origin text)
       WHERE x.thread = 'main' AND x.stamps::jsonb = '[]'::jsonb
    ), held AS MATERIALIZED (
      -- the lease fence: the task row as the worker claimed it (locked above)
      SELECT it.* FROM items it JOIN {{schema}}.tasks t ON t.id = it."taskId" AND t.claims = it.claims
    ), results AS MATERIALIZED (
      SELECT h.i, h."jobId", h.thread, e.*
        FROM held h, jsonb_to_recordset(h.entries::jsonb) AS e(seq int, kind text, name text, status text, result text, attempt int, batch int)
    ), written AS (
      INSERT INTO {{schema}}.journal AS j (job_id, thread, seq, kind, name, status, result, attempt, batch)
      SELECT r."jobId", r.thread, r.seq, r.kind, r.name, r.status, r.result::jsonb, r.attempt, r.batch
        FROM results r
       ORDER BY r."jobId", r.seq
      ON CONFLICT (job_id, thread, seq) DO UPDATE
         SET status = excluded.status, result = excluded.result, attempt = excluded.attempt,
             batch = excluded.batch, due_at = NULL
       WHERE j.status = 'retry'
      RETURNING j.job_id
    ), ending AS MATERIALIZED (
      -- every result written (none refused): the thread ends
      SELECT h.* FROM held h
       WHERE (SELECT count(*) FROM results r WHERE r.i = h.i) = (SELECT count(*) FROM written w WHERE w.job_id = h."jobId")
    ), tasks_done AS (
      DELETE FROM {{schema}}.tasks t USING ending e WHERE t.id = e."taskId" AND t.claims = e.claims
    ), threads_done AS (
      UPDATE {{schema}}.threads th
         SET status = e.status, output = e.output_json, error = e.error_json, completed_at = now()
        FROM ending e
       WHERE th.job_id = e."jobId" AND th.thread = e.thread
    ), waiters_done AS (
      DELETE FROM {{schema}}.waiters w USING ending e WHERE w.job_id = e."jobId" AND w.thread = e.thread
    ), jobs_done AS (
      UPDATE {{schema}}.jobs j
         SET status = e.status, output = e.output_json, error = e.error_json, completed_at = now(), updated_at = now(),
             expire_at = CASE WHEN e."expireSeconds" IS NULL THEN NULL ELSE now() + make_interval(secs => e."expireSeconds") END
        FROM ending e
       WHERE j.id = e."jobId"
      RETURNING e.i, j.workflow_name, j.options, j.origin, j.watched
    )
    -- ended: the thread ended (its task and thread row are written), whether or not a job row was
    -- there to update, as finish_thread_watched answers (a review found a missing job row answered NULL)
    SELECT it.i, it."jobId", it.status, it.output_json, it.error_json, it.channel, it.origin AS finisher,
           e.i IS NOT NULL AS ended, d.workflow_name, d.options, d.origin, d.watched
      FROM items it
      LEFT JOIN ending e ON e.i = it.i
      LEFT JOIN jobs_done d ON d.i = it.i
     ORDER BY it."taskId"
  LOOP
    idx := r.i;
    IF NOT r.ended THEN
      notice := NULL;
      RETURN NEXT;
      CONTINUE;
    END IF;
    IF (r.options -> 'parent' ->> 'await')::boolean THEN
      INSERT INTO {{schema}}.journal (job_id, thread, seq, kind, name, status, result)
      VALUES (r.options -> 'parent' ->> 'job', r.options -> 'parent' ->> 'thread', (r.options -> 'parent' ->> 'seq')::int,
              'child', r.workflow_name, CASE WHEN r.status = 'completed' THEN 'done' ELSE 'failed' END,
              CASE WHEN r.status = 'completed' THEN r.output_json ELSE r.error_json END)
      ON CONFLICT DO NOTHING;
      IF FOUND THEN
        PERFORM {{schema}}.wake_thread(r.options -> 'parent' ->> 'job', r.options -> 'parent' ->> 'thread');
      END IF;
    END IF;
    -- as finish_thread_watched (0047)
    notice := 'done:' || r."jobId" || E'\n' || (jsonb_build_object('s', r.status)
                || CASE WHEN r.output_json IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('o', r.output_json) END
                || CASE WHEN r.error_json IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('e', r.error_json) END)::text;
    IF octet_length(notice) > 7900 THEN
      notice := 'done:' || r."jobId";
    END IF;
    IF r.watched OR r.origin IS DISTINCT FROM r.finisher THEN
      PERFORM pg_notify(r.channel, notice);
    END IF;
    RETURN NEXT;
  END LOOP;
END
$$;
