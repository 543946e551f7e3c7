-- 0006: a context op as one plpgsql call. The statement the client sends is a one-line function
-- call, cheap to plan, and plpgsql caches the plans of the statements inside for the session. On
-- PGlite, which has no prepared statements, planning the equivalent CTE cost more than running it.
-- Semantics are those of the CTEs they replace (src/sql/queries/context.ts).

-- An op from outside. With an op id already in the log, nothing is applied and no row comes back
-- (the caller reads the first result); a concurrent twin fails on the log's unique index.
CREATE FUNCTION {{schema}}.context_op(
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
  VALUES (p_job, v_version, p_op, p_path, p_arg, p_actor, p_op_id, CASE WHEN p_op_id IS NULL THEN NULL ELSE value END);
  undef := value IS NULL;
  version := v_version::text;
  RETURN NEXT;
END
$$;

-- An op from inside a thread: fenced by the task lease (p_task, p_claims), journaled at
-- (p_seq, p_batch) in the same transaction. No row back means the lease was lost.
CREATE FUNCTION {{schema}}.context_op_in_thread(
  p_task bigint, p_claims int, p_job text, p_thread text, p_seq int, p_batch int,
  p_op text, p_path text[], p_arg jsonb, p_cap int,
  OUT value jsonb, OUT undef boolean, OUT version text)
RETURNS SETOF record
LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM {{schema}}.tasks t WHERE t.id = p_task AND t.claims = p_claims) THEN
    RETURN;
  END IF;
  -- the same op as from outside (no op id: the journal's key makes it apply once), by this thread
  SELECT o.value, o.undef, o.version INTO value, undef, version
    FROM {{schema}}.context_op(p_job, p_op, p_path, p_arg, p_cap, NULL, p_thread) o;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  INSERT INTO {{schema}}.journal (job_id, thread, seq, kind, name, status, result, batch)
  VALUES (p_job, p_thread, p_seq, 'context', p_op, 'done', value, p_batch);
  RETURN NEXT;
END
$$;
