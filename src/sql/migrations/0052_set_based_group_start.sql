-- 0052: a group of starts (0050) in a handful of set-based statements instead of one call of
-- start_job_held per item: every job row of the group in one INSERT, then every main thread, then
-- every task. Each statement a plpgsql function runs pays its own executor start; a group of 8
-- starts ran about 40 of them. Measured inside one transaction on the team machine: 1.07-1.31 ms
-- per group of 8 before, 0.67-0.94 ms after.
--
-- The same rows and answers as before: the jobs go in id order (two groups starting the same id wait
-- in one order), an id already taken (or taken by an earlier item of the same group) answers no row
-- for that item, and a task nobody holds NOTIFYs its topic when asked. The NOTIFY is now sent for an
-- item whose id was taken too: a wake-up is only a hint (a claim finds nothing new).
CREATE OR REPLACE FUNCTION {{schema}}.start_jobs_held(p_items jsonb)
RETURNS TABLE (
  idx int, id text, job_id text, thread text, seq int, kind text, topic text, claims int, wakeups int, payload jsonb,
  workflow_name text, task_queue text, args jsonb, failures int, thread_status text,
  job_options jsonb, entity text, job_status text, db_now float8, journal json)
LANGUAGE plpgsql
SET lock_timeout = '100ms'
AS $$
#variable_conflict use_column
BEGIN
  RETURN QUERY
  WITH items AS MATERIALIZED (
    SELECT x.*, x.input::jsonb AS args_json, x.options::jsonb AS options_json
      FROM jsonb_to_recordset(p_items) AS x(
        i int, "jobId" text, entity text, "workflowName" text, "taskQueue" text, input text, options text,
        search text, "parentId" text, topic text, channel text, origin text, owner text, "leaseSeconds" float8,
        notify boolean)
  ), started AS (
    INSERT INTO {{schema}}.jobs AS j (id, entity, workflow_name, task_queue, input, options, parent_id, origin)
    SELECT it."jobId", it.entity, it."workflowName", it."taskQueue", it.args_json, it.options_json, it."parentId", it.origin
      FROM items it
     ORDER BY it."jobId", it.i
    ON CONFLICT (id) DO NOTHING
    RETURNING j.id
  ), firsts AS MATERIALIZED (
    -- each job started, with the item that started it: the first of the group's items with its id
    SELECT DISTINCT ON (it."jobId") it.*
      FROM items it
      JOIN started s ON s.id = it."jobId"
     ORDER BY it."jobId", it.i
  ), attributes AS (
    INSERT INTO {{schema}}.jobs_attributes (job_id, field, value)
    SELECT f."jobId", e.key, e.value
      FROM firsts f, jsonb_each_text(f.search::jsonb) e
     WHERE f.search <> '{}'
  ), main_threads AS (
    INSERT INTO {{schema}}.threads (job_id, thread, workflow_name, task_queue, args)
    SELECT f."jobId", 'main', f."workflowName", f."taskQueue", f.args_json
      FROM firsts f
  ), created AS (
    -- held by the starting process's worker for its lease, or runnable now (as start_job_held, 0047)
    INSERT INTO {{schema}}.tasks AS t (job_id, thread, kind, topic, lease_owner, claims, run_at)
    SELECT f."jobId", 'main', 'thread', f.topic, f.owner,
           CASE WHEN f.owner IS NULL THEN 0 ELSE 1 END,
           CASE WHEN f.owner IS NULL THEN now() ELSE now() + make_interval(secs => f."leaseSeconds") END
      FROM firsts f
     ORDER BY f."jobId"
    RETURNING t.id, t.job_id, t.claims
  )
  SELECT f.i, c.id::text, f."jobId", 'main'::text, 0, 'thread'::text, f.topic, c.claims, 0, NULL::jsonb,
         f."workflowName", f."taskQueue", f.args_json, 0, 'running'::text, f.options_json, f.entity, 'running'::text,
         (extract(epoch FROM clock_timestamp()) * 1000)::float8, '[]'::json
    FROM firsts f
    JOIN created c ON c.job_id = f."jobId";
  PERFORM pg_notify(x.channel, x.topic || x.origin)
     FROM jsonb_to_recordset(p_items) AS x(topic text, channel text, origin text, owner text, notify boolean)
    WHERE x.owner IS NULL AND x.notify;
END
$$;
