-- 0008: two races found in review.
--
-- 1. A claim read the journal from its statement's snapshot but `wakeups` from the row it locked
--    (re-fetched at its newest version). A child or remote activity that committed its result and
--    its wake-up in between was counted in `wakeups` but missing from the journal the run replayed;
--    the run suspended believing nothing had arrived, and slept forever. The claim is now a function:
--    it locks and leases the tasks in one statement, then reads them and their journals in a second
--    one, whose fresh snapshot sees every result whose wake-up the lock already saw.
-- 2. (Folded into 0001 before release: deliver_signal sends to the newest waiter.)

CREATE FUNCTION {{schema}}.claim_tasks(p_owner text, p_lease float8, p_topics text[], p_limit int)
RETURNS TABLE (
  id text, job_id text, thread text, seq int, kind text, topic text, claims int, wakeups int, payload jsonb,
  workflow_name text, task_queue text, args jsonb, failures int, thread_status text,
  job_options jsonb, entity text, job_status text, db_now float8, journal json)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  claimed bigint[];
BEGIN
  WITH c AS (
    UPDATE {{schema}}.tasks t
       SET lease_owner = p_owner, claims = t.claims + 1, run_at = now() + make_interval(secs => p_lease)
     WHERE t.id IN (
       SELECT x.id FROM {{schema}}.tasks x
        WHERE x.topic = ANY(p_topics) AND x.run_at <= now()
        ORDER BY x.run_at
        LIMIT p_limit
        FOR UPDATE SKIP LOCKED)
    RETURNING t.id
  )
  SELECT array_agg(c.id) INTO claimed FROM c;
  IF claimed IS NULL THEN
    RETURN;
  END IF;
  RETURN QUERY
  SELECT c.id::text, c.job_id, c.thread, c.seq, c.kind, c.topic, c.claims, c.wakeups, c.payload,
         th.workflow_name, th.task_queue, th.args, th.failures, th.status,
         j.options, j.entity, j.status,
         (extract(epoch FROM clock_timestamp()) * 1000)::float8,
         CASE WHEN c.kind = 'thread' THEN (
           SELECT coalesce(json_agg(json_build_object(
                    'seq', jr.seq, 'kind', jr.kind, 'name', jr.name, 'status', jr.status,
                    'result', jr.result, 'undef', jr.result IS NULL, 'attempt', jr.attempt,
                    'batch', jr.batch, 'due', extract(epoch FROM jr.due_at) * 1000) ORDER BY jr.seq), '[]')
             FROM {{schema}}.journal jr
            WHERE jr.job_id = c.job_id AND jr.thread = c.thread)
         END
    FROM {{schema}}.tasks c
    LEFT JOIN {{schema}}.threads th ON th.job_id = c.job_id AND th.thread = c.thread
    LEFT JOIN {{schema}}.jobs j ON j.id = c.job_id
   WHERE c.id = ANY(claimed);
END
$$;
