-- 0050: group commit (issue 12). Concurrent starts of this process, and concurrent finishes, share one
-- statement and so one commit (engine/group-commit.ts): each is a round trip, a WAL flush and, on the
-- client, a socket write, whatever its size. A caller alone still sends its own statement
-- (start_job_held, finish_thread_journaled); these run when callers queue behind one in flight.
--
-- Each takes a JSON array of items, each item the single statement's parameters by name plus `i` (its
-- place in the caller's array), and answers the single statement's rows, each with its item's `i`
-- (`idx`). An error fails the whole group (it is one transaction); the caller then sends each item on
-- its own, so only the item at fault fails (group-commit.ts).
--
-- Lock order. A single finish locks one shared row at most (an awaiting parent's task row, which it
-- wakes); a group locks several, so it takes every task row it will change first, its own and the
-- parents', in id order: the order the heartbeat (extendLeases, below) and every other group use.
-- What else may lock task rows of several jobs (signal delivery, interrupt with descend) is rare; a
-- group waits at most lock_timeout (100 ms) for a row, then fails (55P03) and is sent item by item,
-- rather than hold every finish of its engine behind a deadlock check (deadlock_timeout, 1 s).
--
-- Text fields hold JSON text (as the single statements take it), cast here: a value PostgreSQL
-- refuses fails its group, then only its own statement.

-- Starts only insert new rows: ordered by job id, two groups starting the same id wait in one order.
CREATE FUNCTION {{schema}}.start_jobs_held(p_items jsonb)
RETURNS TABLE (
  idx int, id text, job_id text, thread text, seq int, kind text, topic text, claims int, wakeups int, payload jsonb,
  workflow_name text, task_queue text, args jsonb, failures int, thread_status text,
  job_options jsonb, entity text, job_status text, db_now float8, journal json)
LANGUAGE plpgsql
SET lock_timeout = '100ms'
AS $$
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
LANGUAGE plpgsql
SET lock_timeout = '100ms'
AS $$
DECLARE
  r record;
BEGIN
  -- the task rows this group changes, locked first, in id order: each item's own (deleted) and, for a
  -- main thread whose parent awaits it, the parent thread's (woken, finish_thread_watched)
  PERFORM 1
     FROM {{schema}}.tasks t
     JOIN (SELECT (x ->> 'taskId')::bigint AS id FROM jsonb_array_elements(p_items) x
           UNION
           SELECT p.id
             FROM {{schema}}.jobs j
             JOIN {{schema}}.tasks p ON p.job_id = j.options -> 'parent' ->> 'job'
                                    AND p.thread = j.options -> 'parent' ->> 'thread' AND p.seq = 0
            WHERE j.id IN (SELECT x ->> 'jobId' FROM jsonb_array_elements(p_items) x WHERE x ->> 'thread' = 'main')
              AND (j.options -> 'parent' ->> 'await')::boolean) ids ON ids.id = t.id
    ORDER BY t.id
      FOR NO KEY UPDATE OF t;
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
