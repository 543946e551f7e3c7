-- 0050: group commit (issue 12). Concurrent starts of this process, and concurrent finishes, share one
-- statement and so one commit (engine/group-commit.ts): each is a round trip, a WAL flush and, on the
-- client, a socket write, whatever its size. A caller alone still sends its own statement
-- (start_job_held, finish_thread_journaled); these run when callers queue behind one in flight.
--
-- Each takes a JSON array of items, each item the single statement's parameters by name plus `i` (its
-- place in the caller's array), and answers the single statement's rows, each with its item's `i`
-- (`idx`). Items run in one order for every caller, by key, so two groups that touch the same rows
-- lock them in the same order. An error fails the whole group (it is one transaction); the caller
-- then sends each item on its own, so only the item at fault fails (group-commit.ts).
--
-- Text fields hold JSON text (as the single statements take it), cast here: a value PostgreSQL
-- refuses fails its group, then only its own statement.

CREATE FUNCTION {{schema}}.start_jobs_held(p_items jsonb)
RETURNS TABLE (
  idx int, id text, job_id text, thread text, seq int, kind text, topic text, claims int, wakeups int, payload jsonb,
  workflow_name text, task_queue text, args jsonb, failures int, thread_status text,
  job_options jsonb, entity text, job_status text, db_now float8, journal json)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  r record;
BEGIN
  FOR r IN
    SELECT * FROM jsonb_to_recordset(p_items) AS x(
      i int, "jobId" text, entity text, "workflowName" text, "taskQueue" text, input text, options text,
      search text, "parentId" text, topic text, channel text, origin text, owner text, "leaseSeconds" float8,
      notify boolean)
    ORDER BY x."jobId"
  LOOP
    RETURN QUERY
      SELECT r.i, s.*
        FROM {{schema}}.start_job_held(r."jobId", r.entity, r."workflowName", r."taskQueue", r.input::jsonb,
                                       r.options::jsonb, r.search::jsonb, r."parentId", r.topic, r.channel,
                                       r.origin, r.owner, r."leaseSeconds", r.notify) s;
  END LOOP;
END
$$;

CREATE FUNCTION {{schema}}.finish_threads_journaled(p_items jsonb)
RETURNS TABLE (idx int, notice text)
LANGUAGE plpgsql AS $$
DECLARE
  r record;
BEGIN
  FOR r IN
    SELECT * FROM jsonb_to_recordset(p_items) AS x(
      i int, "taskId" bigint, claims int, "jobId" text, thread text, entries text, stamps text, status text,
      output text, error text, "expireSeconds" float8, channel text, origin text)
    ORDER BY x."taskId"
  LOOP
    idx := r.i;
    notice := {{schema}}.finish_thread_journaled(r."taskId", r.claims, r."jobId", r.thread, r.entries::jsonb,
                                                 r.stamps::jsonb, r.status, r.output::jsonb, r.error::jsonb,
                                                 r."expireSeconds", r.channel, r.origin);
    RETURN NEXT;
  END LOOP;
END
$$;
