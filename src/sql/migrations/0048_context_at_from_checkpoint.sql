-- 0048: context_at (0002) starts from the newest checkpoint at or before the version asked for
-- instead of replaying the whole log from version 0: time travel on a long-lived context reads at
-- most 31 log rows past the checkpoint, and needs no log row older than it (issue 12, bounded
-- growth). Every op now writes a checkpoint at each 32nd version (0028 wrote them only beside a
-- journaled context reference). A job with no checkpoint yet starts from '{}' at version 0, as before.

-- jobs.context_pruned_to: below it the log may have been deleted (context log retention, migration
-- 0049); 0 while nothing was. context_at refuses a version below it (HM005).
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

-- context_op (0028), writing a checkpoint at every 32nd version.
CREATE OR REPLACE FUNCTION {{schema}}.context_op(
  p_job text, p_op text, p_path text[], p_arg jsonb, p_cap int, p_op_id text, p_actor text,
  OUT value jsonb, OUT undef boolean, OUT version text)
RETURNS SETOF record
LANGUAGE plpgsql AS $$
DECLARE
  v_ctx jsonb;
  v_version bigint;
BEGIN
  IF p_op_id IS NOT NULL AND EXISTS (
    SELECT 1 FROM {{schema}}.context_log l WHERE l.job_id = p_job AND l.op_id = p_op_id) THEN
    RETURN;
  END IF;
  UPDATE {{schema}}.jobs j
     SET context = {{schema}}.context_apply(j.context, p_op, p_path, p_arg, p_cap),
         context_version = j.context_version + 1, updated_at = now()
   WHERE j.id = p_job
  RETURNING j.context, j.context_version INTO v_ctx, v_version;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  value := CASE WHEN p_op IN ('set', 'merge', 'delete') THEN v_ctx ELSE {{schema}}.context_get_path(v_ctx, p_path) END;
  INSERT INTO {{schema}}.context_log (job_id, version, op, path, arg, actor, op_id, result)
  VALUES (p_job, v_version, p_op, p_path, p_arg, p_actor, p_op_id,
          CASE WHEN p_op_id IS NOT NULL OR p_op = 'increment' THEN value END);
  -- a checkpoint every 32 versions, whatever the op's size (0028 wrote one only beside a journal
  -- reference): context_at starts from it
  IF v_version % 32 = 0 THEN
    INSERT INTO {{schema}}.context_checkpoints (job_id, version, context) VALUES (p_job, v_version, v_ctx)
    ON CONFLICT DO NOTHING;
  END IF;
  undef := value IS NULL;
  version := v_version::text;
  RETURN NEXT;
END
$$;
