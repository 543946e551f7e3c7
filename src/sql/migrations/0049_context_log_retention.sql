-- 0049: context log retention (issue 12, bounded growth; worker/context-log-retention.ts). The log
-- stays whole unless the app asks otherwise; with a policy, the sweeper deletes a job's log entries
-- (and checkpoints) below a cutoff, which is always a checkpoint (migration 0048: context_at starts
-- from it, so every version from the cutoff on is still answered) and never above a version a journal
-- row refers to (context_thread_replay needs those, migration 0028).
--
-- jobs.context_pruned_to (migration 0048): the cutoff, 0 while nothing was deleted; context_at refuses
-- a version below it (HM005) instead of answering a document rebuilt from a log with a hole. Entries with an op id
-- (`withOpId`) are kept below it: they make a retried op apply once. A fork copies the checkpoints
-- and the cutoff with the log (fork_job below).

-- One sweep round: up to p_batch jobs, each pruned to its cutoff. p_keep_versions: keep at least that
-- many of the newest versions; p_older_than: delete only entries older than that (one of the two is
-- set). The candidates come from context_checkpoints (a job without a checkpoint has nothing to
-- prune), whose rows below a cutoff go with the log, so a round reads what it can delete.
CREATE FUNCTION {{schema}}.prune_context_logs(p_keep_versions bigint, p_older_than float8, p_batch int)
RETURNS TABLE (jobs int, entries bigint)
LANGUAGE plpgsql AS $$
DECLARE
  c record;
  v_cut bigint;
  v_ref bigint;
  v_n bigint;
BEGIN
  jobs := 0;
  entries := 0;
  -- candidates: jobs with a checkpoint past their cutoff that the policy lets go, below any version
  -- the journal refers to (a job held back by one is not picked again and again: it would take the
  -- batch's place from the others); in id order, the order their rows are locked in
  FOR c IN
    SELECT DISTINCT j.id, j.context_version, j.context_pruned_to
      FROM {{schema}}.context_checkpoints cp JOIN {{schema}}.jobs j ON j.id = cp.job_id
     WHERE cp.version > j.context_pruned_to
       AND (p_keep_versions IS NULL OR cp.version <= j.context_version - p_keep_versions)
       AND (p_older_than IS NULL OR EXISTS (
             SELECT 1 FROM {{schema}}.context_log l
              WHERE l.job_id = cp.job_id AND l.version = cp.version AND l.created_at < now() - make_interval(secs => p_older_than)))
       AND NOT EXISTS (
             SELECT 1 FROM {{schema}}.journal jr
              WHERE jr.job_id = cp.job_id AND jr.context_version IS NOT NULL AND jr.context_version < cp.version)
     ORDER BY j.id
     LIMIT p_batch
  LOOP
    IF p_keep_versions IS NOT NULL THEN
      SELECT max(cp.version) INTO v_cut FROM {{schema}}.context_checkpoints cp
       WHERE cp.job_id = c.id AND cp.version <= c.context_version - p_keep_versions;
    ELSE
      SELECT max(cp.version) INTO v_cut FROM {{schema}}.context_checkpoints cp
        JOIN {{schema}}.context_log l ON l.job_id = cp.job_id AND l.version = cp.version
       WHERE cp.job_id = c.id AND l.created_at < now() - make_interval(secs => p_older_than);
    END IF;
    -- never past a version the journal refers to (a thread replays it from the log)
    SELECT min(jr.context_version) INTO v_ref FROM {{schema}}.journal jr WHERE jr.job_id = c.id AND jr.context_version IS NOT NULL;
    IF v_ref IS NOT NULL AND v_cut IS NOT NULL AND v_cut > v_ref THEN
      SELECT max(cp.version) INTO v_cut FROM {{schema}}.context_checkpoints cp WHERE cp.job_id = c.id AND cp.version <= v_ref;
    END IF;
    IF v_cut IS NULL OR v_cut <= c.context_pruned_to THEN
      CONTINUE;
    END IF;
    -- an entry with an op id stays: it is what makes a retried op (withOpId) apply once
    DELETE FROM {{schema}}.context_log l WHERE l.job_id = c.id AND l.version < v_cut AND l.op_id IS NULL;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    DELETE FROM {{schema}}.context_checkpoints cp WHERE cp.job_id = c.id AND cp.version < v_cut;
    UPDATE {{schema}}.jobs SET context_pruned_to = v_cut WHERE id = c.id AND context_pruned_to < v_cut;
    jobs := jobs + 1;
    entries := entries + v_n;
  END LOOP;
  RETURN NEXT;
END
$$;

-- fork_job (0044), copying the source's checkpoints up to the fork point and its cutoff. A fork point
-- below the cutoff is refused by context_at (HM005), before anything is written.
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
