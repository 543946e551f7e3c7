-- 0056: a group of finishes (finish_threads_journaled, as 0054 left it) does less work for the same
-- writes and answers.
--  - No sequential scans, whatever plan a session cached. 0054 made the task locks reachable by key
--    (`t.id = ANY (ARRAY(...))`), but which path runs is the planner's choice, and PL/pgSQL caches a
--    session's plans: made while the tables were small (or from statistics of then), they scan them,
--    and stand as the tables grow until an ANALYZE replans them. In a fresh database (the DBOS
--    harness's, 2,000 workflows) auto_explain showed every grouped finish locking its tasks by a
--    sequential scan of `tasks` and looking for awaiting parents by one of `jobs`: 0.44 ms of a
--    1.1 ms statement, growing with the tables. Every lookup here has an index (tasks_pkey,
--    jobs_pkey, tasks (job_id, thread, seq), threads_pkey, waiters_pkey, journal_pkey), so the
--    function runs with sequential scans disabled: those paths from the first call on.
--  - Whether each thread ends (all its results written) was two correlated counts per item over the
--    group's results and written rows: quadratic in the group, 0.33 ms of a group of 15. The counts
--    are now grouped once and joined.
CREATE OR REPLACE FUNCTION {{schema}}.finish_threads_journaled(p_items jsonb)
RETURNS TABLE (idx int, notice text)
LANGUAGE plpgsql
SET lock_timeout = '100ms'
SET enable_seqscan = off
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
    ), results_per_item AS (
      SELECT r.i, count(*) AS n FROM results r GROUP BY r.i
    ), written_per_job AS (
      SELECT w.job_id, count(*) AS n FROM written w GROUP BY w.job_id
    ), ending AS MATERIALIZED (
      -- every result written (none refused): the thread ends
      SELECT h.* FROM held h
        LEFT JOIN results_per_item r ON r.i = h.i
        LEFT JOIN written_per_job w ON w.job_id = h."jobId"
       WHERE coalesce(r.n, 0) = coalesce(w.n, 0)
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
