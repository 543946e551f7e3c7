-- 0023: the management API's actions (issue 8): cancel (graceful), resume (a parked job), retry (a
-- failed job, from its failed call), fork (a new job from a journal prefix), and the bulk forms.
-- Lock order as everywhere (0017): task rows first (in id order), then the job row.

-- Ask job p_job to stop: its main thread's current or next durable wait throws a CancelledError
-- (the worker journals it, worker/thread-task.ts). The request is kept in options.cancel, which every
-- claim reads, and the main thread is woken to take it. Answers 'requested' (also when it already
-- was), 'not-found', or the status of a job it does not apply to (only running jobs can be cancelled).
CREATE FUNCTION {{schema}}.cancel_job(p_job text, p_cancel jsonb) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  v_status text;
  v_asked boolean;
BEGIN
  PERFORM FROM {{schema}}.tasks WHERE job_id = p_job AND thread = 'main' AND seq = 0 FOR NO KEY UPDATE;
  SELECT status, options ? 'cancel' INTO v_status, v_asked FROM {{schema}}.jobs WHERE id = p_job FOR NO KEY UPDATE;
  IF NOT FOUND THEN
    RETURN 'not-found';
  END IF;
  IF v_status <> 'running' THEN
    RETURN v_status;
  END IF;
  IF NOT v_asked THEN
    UPDATE {{schema}}.jobs SET options = options || jsonb_build_object('cancel', p_cancel), updated_at = now() WHERE id = p_job;
  END IF;
  PERFORM {{schema}}.wake_thread(p_job, 'main');
  RETURN 'requested';
END
$$;

-- A run delivers the cancellation: the calls it waits on (p_calls: seq, kind, name) are journaled as
-- failed with p_failure in batch p_batch, replacing a timer's row or an activity's retry row; their
-- waiters and remote activity tasks go (a child job goes on: its result is no longer awaited).
-- Fenced by the run's lease. Answers the seqs journaled.
CREATE FUNCTION {{schema}}.cancel_calls(
  p_task bigint, p_claims int, p_job text, p_thread text, p_batch int, p_calls jsonb, p_failure jsonb)
RETURNS SETOF int
LANGUAGE plpgsql AS $$
BEGIN
  IF NOT {{schema}}.lease_held(p_task, p_claims) THEN
    RETURN;
  END IF;
  DELETE FROM {{schema}}.waiters w
   USING jsonb_to_recordset(p_calls) AS c(seq int, kind text, name text)
   WHERE w.job_id = p_job AND w.thread = p_thread AND w.seq = c.seq;
  DELETE FROM {{schema}}.tasks t
   USING jsonb_to_recordset(p_calls) AS c(seq int, kind text, name text)
   WHERE t.job_id = p_job AND t.thread = p_thread AND t.seq = c.seq AND t.kind = 'activity';
  RETURN QUERY
  INSERT INTO {{schema}}.journal AS j (job_id, thread, seq, kind, name, status, result, attempt, batch)
  SELECT p_job, p_thread, c.seq, c.kind, c.name, 'failed', p_failure, 1, p_batch
    FROM jsonb_to_recordset(p_calls) AS c(seq int, kind text, name text)
  ON CONFLICT (job_id, thread, seq) DO UPDATE
     SET status = 'failed', result = excluded.result, batch = excluded.batch, due_at = NULL
   -- only a timer not yet due or an activity in backoff: a result that arrived meanwhile is kept
   -- (fewer seqs back: the run stops and its next run delivers that result first)
   WHERE j.batch IS NULL AND (j.status = 'retry' OR j.due_at > now())
  RETURNING j.seq;
END
$$;

-- Resume a parked job (or a job with a parked hook thread): its parked threads run again now, replaying
-- with whatever code the workers have now (a divergence parks them again). Answers 'resumed',
-- 'not-found', or the job's status when no thread of it is parked.
CREATE FUNCTION {{schema}}.resume_job(p_job text, p_channel text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  v_status text;
  v_threads text[];
  v_topic text;
BEGIN
  PERFORM FROM {{schema}}.tasks WHERE job_id = p_job AND kind = 'thread' ORDER BY id FOR NO KEY UPDATE;
  SELECT status INTO v_status FROM {{schema}}.jobs WHERE id = p_job FOR NO KEY UPDATE;
  IF NOT FOUND THEN
    RETURN 'not-found';
  END IF;
  SELECT array_agg(thread) INTO v_threads FROM {{schema}}.threads WHERE job_id = p_job AND status = 'parked';
  IF v_threads IS NULL THEN
    RETURN v_status;
  END IF;
  UPDATE {{schema}}.threads SET status = 'running', error = NULL WHERE job_id = p_job AND thread = ANY(v_threads);
  UPDATE {{schema}}.jobs SET status = 'running', error = NULL, updated_at = now() WHERE id = p_job AND status = 'parked';
  FOR v_topic IN
    UPDATE {{schema}}.tasks SET run_at = now()
     WHERE job_id = p_job AND thread = ANY(v_threads) AND seq = 0 AND lease_owner IS NULL
    RETURNING topic
  LOOP
    PERFORM pg_notify(p_channel, v_topic);
  END LOOP;
  RETURN 'resumed';
END
$$;

-- Run a failed job again from its failed call: the main thread's last failed call (by delivery batch)
-- and everything delivered with it or after it (or never delivered) leave the journal, the rest is
-- kept; the thread's failure count starts over and its task (topic p_topic) is runnable now.
-- Answers 'retried', 'not-found', or the status of a job that did not fail.
CREATE FUNCTION {{schema}}.retry_job(p_job text, p_topic text, p_channel text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  v_status text;
  v_batch int;
BEGIN
  PERFORM FROM {{schema}}.tasks WHERE job_id = p_job AND thread = 'main' AND seq = 0 FOR NO KEY UPDATE;
  SELECT status INTO v_status FROM {{schema}}.jobs WHERE id = p_job FOR NO KEY UPDATE;
  IF NOT FOUND THEN
    RETURN 'not-found';
  END IF;
  IF v_status <> 'failed' THEN
    RETURN v_status;
  END IF;
  SELECT batch INTO v_batch FROM {{schema}}.journal
   WHERE job_id = p_job AND thread = 'main' AND status = 'failed' AND batch IS NOT NULL
   ORDER BY batch DESC, seq DESC LIMIT 1;
  DELETE FROM {{schema}}.journal
   WHERE job_id = p_job AND thread = 'main' AND (batch IS NULL OR batch >= v_batch);
  DELETE FROM {{schema}}.waiters WHERE job_id = p_job AND thread = 'main';
  UPDATE {{schema}}.threads SET status = 'running', failures = 0, output = NULL, error = NULL, completed_at = NULL
   WHERE job_id = p_job AND thread = 'main';
  UPDATE {{schema}}.jobs SET status = 'running', output = NULL, error = NULL, completed_at = NULL, expire_at = NULL, updated_at = now()
   WHERE id = p_job;
  INSERT INTO {{schema}}.tasks (job_id, thread, kind, topic) VALUES (p_job, 'main', 'thread', p_topic)
  ON CONFLICT (job_id, thread, seq) DO UPDATE SET run_at = now(), lease_owner = NULL;
  PERFORM pg_notify(p_channel, p_topic);
  RETURN 'retried';
END
$$;

-- A new job p_new from job p_source: the same workflow, arguments, entity and search fields, its
-- main thread's journal up to seq p_seq (NULL: every delivered call), and the context as it was when
-- the last copied entry was journaled (context_at of the last version logged by then; the context
-- log up to that version is copied too). The source is not touched. Answers 'forked:<version>',
-- 'not-found' or 'duplicate' (p_new is taken).
CREATE FUNCTION {{schema}}.fork_job(p_source text, p_new text, p_seq int, p_topic text, p_channel text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  src record;
  v_at timestamptz;
  v_version bigint := 0;
BEGIN
  SELECT * INTO src FROM {{schema}}.jobs WHERE id = p_source;
  IF NOT FOUND THEN
    RETURN 'not-found';
  END IF;
  SELECT max(created_at) INTO v_at FROM {{schema}}.journal
   WHERE job_id = p_source AND thread = 'main' AND batch IS NOT NULL AND status <> 'retry' AND (p_seq IS NULL OR seq <= p_seq);
  IF v_at IS NOT NULL THEN
    SELECT coalesce(max(version), 0) INTO v_version FROM {{schema}}.context_log WHERE job_id = p_source AND created_at <= v_at;
  END IF;
  INSERT INTO {{schema}}.jobs (id, entity, workflow_name, task_queue, input, options, context, context_version)
  VALUES (p_new, src.entity, src.workflow_name, src.task_queue, src.input,
          src.options - 'cancel' - 'parent' - 'parentWorkflowId' - 'originJobId',
          CASE WHEN v_version = 0 THEN '{}'::jsonb ELSE {{schema}}.context_at(p_source, v_version) END, v_version)
  ON CONFLICT (id) DO NOTHING;
  IF NOT FOUND THEN
    RETURN 'duplicate';
  END IF;
  INSERT INTO {{schema}}.context_log (job_id, version, op, path, arg, actor, op_id, result, created_at)
  SELECT p_new, version, op, path, arg, actor, op_id, result, created_at
    FROM {{schema}}.context_log WHERE job_id = p_source AND version <= v_version;
  INSERT INTO {{schema}}.jobs_attributes (job_id, field, value)
  SELECT p_new, field, value FROM {{schema}}.jobs_attributes WHERE job_id = p_source;
  INSERT INTO {{schema}}.threads (job_id, thread, workflow_name, task_queue, args)
  SELECT p_new, 'main', workflow_name, task_queue, args FROM {{schema}}.threads WHERE job_id = p_source AND thread = 'main';
  INSERT INTO {{schema}}.journal (job_id, thread, seq, kind, name, status, result, attempt, batch, created_at)
  SELECT p_new, 'main', seq, kind, name, status, result, attempt, batch, created_at
    FROM {{schema}}.journal
   WHERE job_id = p_source AND thread = 'main' AND batch IS NOT NULL AND status <> 'retry' AND (p_seq IS NULL OR seq <= p_seq);
  INSERT INTO {{schema}}.tasks (job_id, thread, kind, topic) VALUES (p_new, 'main', 'thread', p_topic);
  PERFORM pg_notify(p_channel, p_topic);
  RETURN 'forked:' || v_version;
END
$$;

-- The ids of every job matching a filter (0022's job_filter), for the bulk actions.
CREATE FUNCTION {{schema}}.match_jobs(
  p_statuses text[], p_waiting boolean, p_name text, p_queue text, p_entity text, p_prefix text,
  p_after timestamptz, p_before timestamptz, p_fields text[], p_values text[])
RETURNS SETOF text
LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN QUERY EXECUTE
    'SELECT j.id FROM {{schema}}.jobs j'
    || {{schema}}.job_filter(p_statuses, p_waiting, p_name, p_queue, p_entity, p_prefix, p_after, p_before, p_fields)
    || ' ORDER BY j.id'
  USING p_statuses, p_waiting, p_name, p_queue, p_entity, p_prefix, p_after, p_before, p_fields, p_values;
END
$$;
