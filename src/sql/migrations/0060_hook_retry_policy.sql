-- 0060: a hook's own retry policy (memflow-api.md §2.3: hook options take
-- `config: { maximumAttempts, backoffCoefficient, maximumInterval }`). It was validated and then
-- dropped, so a failing hook retried by its job's policy (a black-box pass). The hook's thread keeps it
-- (threads.config; NULL: the job's), and a claim answers it as thread_config, beside thread_trace.
-- The claim is 0045's, with that one column more.
ALTER TABLE {{schema}}.threads ADD COLUMN config jsonb;

DROP FUNCTION {{schema}}.claim_tasks(text, float8, text[], int);

CREATE FUNCTION {{schema}}.claim_tasks(p_owner text, p_lease float8, p_topics text[], p_limit int)
RETURNS TABLE (
  id text, job_id text, thread text, seq int, kind text, topic text, claims int, wakeups int, payload jsonb,
  workflow_name text, task_queue text, args jsonb, failures int, thread_status text,
  job_options jsonb, entity text, job_status text, db_now float8, journal json,
  ready_at float8, job_created_at float8, thread_trace jsonb, thread_seq_base int, thread_config jsonb)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  claimed bigint[];
  readies timestamptz[];
BEGIN
  WITH c AS (
    UPDATE {{schema}}.tasks t
       SET lease_owner = p_owner, claims = t.claims + 1, run_at = now() + make_interval(secs => p_lease)
      FROM (SELECT ready.id AS task_id, ready.run_at AS was_due
              FROM unnest(p_topics) AS tp(topic)
             CROSS JOIN LATERAL (
               SELECT x.id, x.run_at FROM {{schema}}.tasks x
                WHERE x.topic = tp.topic AND x.run_at <= now()
                ORDER BY x.run_at
                LIMIT p_limit
                FOR UPDATE SKIP LOCKED) AS ready
             ORDER BY ready.run_at
             LIMIT p_limit) r
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
         th.trace,
         th.seq_base,
         th.config
    FROM {{schema}}.tasks c
    LEFT JOIN {{schema}}.threads th ON th.job_id = c.job_id AND th.thread = c.thread
    LEFT JOIN {{schema}}.jobs j ON j.id = c.job_id
   WHERE c.id = ANY(claimed);
END
$$;
