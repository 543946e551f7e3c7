-- 0040: what a claim tells the worker for its metrics and traces (issue 11).
--
-- - ready_at: when the task became ready (its run_at before this claim moved it to the lease's end):
--   the schedule-to-start latency is db_now - ready_at. A claim overwrites run_at, so only the claim
--   itself can say it.
-- - job_created_at: when the job was started, for the workflow duration recorded when it ends.
-- - thread_trace: the trace a thread continues when it is not the job's own (threads.trace, below).
--
-- threads.trace: a hook thread started from outside keeps the span active in the caller of `hook()`,
-- and one started by a run keeps that run's span, so the hook's runs continue the trace they were
-- started in rather than the job's. NULL (main threads, rows written before this migration): the
-- job's trace (jobs.options.trace).
--
-- The claim itself is 0008's, the locked sub-select moved into UPDATE ... FROM so that the row's old
-- run_at comes back with it. The result type changes, so the function is dropped and created again
-- (one transaction: a concurrent claim sees the old function or the new one).
ALTER TABLE {{schema}}.threads ADD COLUMN trace jsonb;

DROP FUNCTION {{schema}}.claim_tasks(text, float8, text[], int);

CREATE FUNCTION {{schema}}.claim_tasks(p_owner text, p_lease float8, p_topics text[], p_limit int)
RETURNS TABLE (
  id text, job_id text, thread text, seq int, kind text, topic text, claims int, wakeups int, payload jsonb,
  workflow_name text, task_queue text, args jsonb, failures int, thread_status text,
  job_options jsonb, entity text, job_status text, db_now float8, journal json,
  ready_at float8, job_created_at float8, thread_trace jsonb)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  claimed bigint[];
  readies timestamptz[];
BEGIN
  WITH c AS (
    UPDATE {{schema}}.tasks t
       SET lease_owner = p_owner, claims = t.claims + 1, run_at = now() + make_interval(secs => p_lease)
      FROM (SELECT x.id AS task_id, x.run_at AS was_due
              FROM {{schema}}.tasks x
             WHERE x.topic = ANY(p_topics) AND x.run_at <= now()
             ORDER BY x.run_at
             LIMIT p_limit
             FOR UPDATE SKIP LOCKED) r
     WHERE t.id = r.task_id
    RETURNING t.id AS task_id, r.was_due
  )
  SELECT array_agg(c.task_id), array_agg(c.was_due) INTO claimed, readies FROM c;
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
         END,
         (extract(epoch FROM readies[array_position(claimed, c.id)]) * 1000)::float8,
         (extract(epoch FROM j.created_at) * 1000)::float8,
         th.trace
    FROM {{schema}}.tasks c
    LEFT JOIN {{schema}}.threads th ON th.job_id = c.job_id AND th.thread = c.thread
    LEFT JOIN {{schema}}.jobs j ON j.id = c.job_id
   WHERE c.id = ANY(claimed);
END
$$;
