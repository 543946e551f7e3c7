-- 0044: fork_job (0023) copied the journal without the context references of 0028: a context op
-- whose result is journaled as (context_version, context_path) came to the fork with neither, and
-- the fork's replay got undefined instead of the document. The fork's context log is a copy of the
-- original's up to the fork's version, so the references resolve against it unchanged.
CREATE OR REPLACE FUNCTION {{schema}}.fork_job(p_source text, p_new text, p_seq int, p_topic text, p_channel text) RETURNS text
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
  INSERT INTO {{schema}}.journal (job_id, thread, seq, kind, name, status, result, attempt, batch, created_at, context_version, context_path)
  SELECT p_new, 'main', seq, kind, name, status, result, attempt, batch, created_at, context_version, context_path
    FROM {{schema}}.journal
   WHERE job_id = p_source AND thread = 'main' AND batch IS NOT NULL AND status <> 'retry' AND (p_seq IS NULL OR seq <= p_seq);
  INSERT INTO {{schema}}.tasks (job_id, thread, kind, topic) VALUES (p_new, 'main', 'thread', p_topic);
  PERFORM pg_notify(p_channel, p_topic);
  RETURN 'forked:' || v_version;
END
$$;
