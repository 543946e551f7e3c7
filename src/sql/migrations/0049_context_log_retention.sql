-- 0049: context log retention (issue 12, bounded growth; worker/context-log-retention.ts). The log
-- stays whole unless the app asks otherwise; with a policy, the sweeper deletes a job's log entries
-- (and checkpoints) below a cutoff, which is always a checkpoint (migration 0048: context_at starts
-- from it, so every version from the cutoff on is still answered) and never above a version a journal
-- row refers to (context_thread_replay needs those, migration 0028).
--
-- jobs.context_pruned_to: the cutoff, 0 while nothing was deleted. context_at refuses a version below
-- it (HM005) instead of answering a document rebuilt from a log with a hole.

ALTER TABLE {{schema}}.jobs ADD COLUMN context_pruned_to bigint NOT NULL DEFAULT 0;

CREATE OR REPLACE FUNCTION {{schema}}.context_at(p_job text, p_version bigint) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_pruned bigint;
  v_doc jsonb;
BEGIN
  SELECT j.context_pruned_to INTO v_pruned FROM {{schema}}.jobs j WHERE j.id = p_job;
  IF p_version < coalesce(v_pruned, 0) THEN
    RAISE EXCEPTION 'context version % of job % is no longer kept: the app''s context log retention kept it from version %',
      p_version, p_job, v_pruned USING ERRCODE = 'HM005';
  END IF;
  WITH RECURSIVE base AS (
    SELECT c.version, c.context FROM {{schema}}.context_checkpoints c
     WHERE c.job_id = p_job AND c.version <= p_version
     ORDER BY c.version DESC LIMIT 1
  ), r(version, ctx) AS (
    SELECT coalesce((SELECT version FROM base), 0::bigint), coalesce((SELECT context FROM base), '{}'::jsonb)
    UNION ALL
    SELECT l.version, {{schema}}.context_apply(r.ctx, l.op, l.path, l.arg, 2147483647)
      FROM r JOIN {{schema}}.context_log l ON l.job_id = p_job AND l.version = r.version + 1
     WHERE l.version <= p_version
  )
  SELECT ctx INTO v_doc FROM r ORDER BY version DESC LIMIT 1;
  RETURN v_doc;
END
$$;

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
  FOR c IN
    SELECT DISTINCT j.id, j.context_version, j.context_pruned_to
      FROM {{schema}}.context_checkpoints cp JOIN {{schema}}.jobs j ON j.id = cp.job_id
     WHERE cp.version > j.context_pruned_to
       AND (p_keep_versions IS NULL OR cp.version <= j.context_version - p_keep_versions)
       AND (p_older_than IS NULL OR EXISTS (
             SELECT 1 FROM {{schema}}.context_log l
              WHERE l.job_id = cp.job_id AND l.version = cp.version AND l.created_at < now() - make_interval(secs => p_older_than)))
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
    DELETE FROM {{schema}}.context_log l WHERE l.job_id = c.id AND l.version < v_cut;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    DELETE FROM {{schema}}.context_checkpoints cp WHERE cp.job_id = c.id AND cp.version < v_cut;
    UPDATE {{schema}}.jobs SET context_pruned_to = v_cut WHERE id = c.id AND context_pruned_to < v_cut;
    jobs := jobs + 1;
    entries := entries + v_n;
  END LOOP;
  RETURN NEXT;
END
$$;
