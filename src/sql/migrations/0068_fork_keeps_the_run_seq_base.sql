-- 0068: the fork of a job that continued as new (continueAsNew, migration 0042) replays. fork_job
-- (0049) copied the main thread's args and journal but not its seq_base, so the fork counted its calls
-- from 1 against a journal whose seqs start after the earlier runs', and parked at once (a black-box
-- pass). Same function as 0049's, with `runs` and `seq_base` copied.

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
    -- the fork point's version is found by the log's times: below the cutoff they are gone
    IF src.context_pruned_to > 0 AND v_at < (SELECT l.created_at FROM {{schema}}.context_log l
                                             WHERE l.job_id = p_source AND l.version = src.context_pruned_to) THEN
      RAISE EXCEPTION 'the context of job % at that point is no longer kept: the app''s context log retention kept it from version %',
        p_source, src.context_pruned_to USING ERRCODE = 'HM005';
    END IF;
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
  -- the checkpoints and the cutoff too: the copy of a pruned log starts at a checkpoint (migration 0049)
  INSERT INTO {{schema}}.context_checkpoints (job_id, version, context)
  SELECT p_new, version, context FROM {{schema}}.context_checkpoints WHERE job_id = p_source AND version <= v_version;
  UPDATE {{schema}}.jobs SET context_pruned_to = least(src.context_pruned_to, v_version) WHERE id = p_new;
  INSERT INTO {{schema}}.jobs_attributes (job_id, field, value)
  SELECT p_new, field, value FROM {{schema}}.jobs_attributes WHERE job_id = p_source;
  -- the run's place in a continueAsNew chain too: its journal's seqs start after seq_base (0042)
  INSERT INTO {{schema}}.threads (job_id, thread, workflow_name, task_queue, args, runs, seq_base)
  SELECT p_new, 'main', workflow_name, task_queue, args, runs, seq_base FROM {{schema}}.threads WHERE job_id = p_source AND thread = 'main';
  INSERT INTO {{schema}}.journal (job_id, thread, seq, kind, name, status, result, attempt, batch, created_at, context_version, context_path)
  SELECT p_new, 'main', seq, kind, name, status, result, attempt, batch, created_at, context_version, context_path
    FROM {{schema}}.journal
   WHERE job_id = p_source AND thread = 'main' AND batch IS NOT NULL AND status <> 'retry' AND (p_seq IS NULL OR seq <= p_seq);
  INSERT INTO {{schema}}.tasks (job_id, thread, kind, topic) VALUES (p_new, 'main', 'thread', p_topic);
  PERFORM pg_notify(p_channel, p_topic);
  RETURN 'forked:' || v_version;
END
$$;
