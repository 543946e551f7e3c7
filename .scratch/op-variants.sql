CREATE OR REPLACE FUNCTION {{schema}}.context_op_b(
  p_job text, p_op text, p_path text[], p_arg jsonb, p_cap int, p_op_id text, p_actor text,
  OUT value jsonb, OUT undef boolean, OUT version text)
RETURNS SETOF record
LANGUAGE plpgsql AS $$
DECLARE
  v_ctx jsonb;
  v_version bigint;
BEGIN
  IF p_op_id IS NOT NULL THEN
    IF EXISTS (SELECT 1 FROM {{schema}}.context_log l WHERE l.job_id = p_job AND l.op_id = p_op_id) THEN
      RETURN;
    END IF;
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
CREATE OR REPLACE FUNCTION {{schema}}.context_op_c(
  p_job text, p_op text, p_path text[], p_arg jsonb, p_cap int, p_op_id text, p_actor text,
  OUT value jsonb, OUT undef boolean, OUT version text)
RETURNS SETOF record
LANGUAGE plpgsql AS $$
DECLARE
  v_ctx jsonb;
  v_version bigint;
BEGIN
  IF p_op_id IS NOT NULL THEN
    IF EXISTS (SELECT 1 FROM {{schema}}.context_log l WHERE l.job_id = p_job AND l.op_id = p_op_id) THEN
      RETURN;
    END IF;
  END IF;
  UPDATE {{schema}}.jobs j
     SET context = {{schema}}.context_apply_c(j.context, p_op, p_path, p_arg, p_cap),
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
CREATE FUNCTION {{schema}}.context_apply_c(ctx jsonb, op text, path text[], arg jsonb, cap int) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  cur jsonb := CASE WHEN cardinality(path) = 0 THEN ctx ELSE {{schema}}.context_get_path(ctx, path) END;
  kind text := coalesce(jsonb_typeof(cur), 'missing');
  result jsonb;
  arr jsonb;
BEGIN
  CASE op
    WHEN 'set' THEN
      result := {{schema}}.context_set_path(ctx, path, arg);
    WHEN 'merge' THEN
      IF kind NOT IN ('object', 'null', 'missing') THEN
        RAISE EXCEPTION '%', kind USING ERRCODE = 'HM002';
      END IF;
      result := {{schema}}.context_merge(coalesce(cur, '{}'), arg);
      IF cardinality(path) > 0 THEN
        result := {{schema}}.context_set_path(ctx, path, result);
      END IF;
    WHEN 'delete' THEN
      IF coalesce(array_length(path, 1), 0) = 0 THEN
        result := '{}';
      ELSE
        result := {{schema}}.context_delete_path(ctx, path);
      END IF;
    WHEN 'append', 'prepend' THEN
      IF kind NOT IN ('array', 'null', 'missing') THEN
        RAISE EXCEPTION '%', kind USING ERRCODE = 'HM002';
      END IF;
      IF op = 'append' THEN
        result := {{schema}}.context_set_path(ctx, path, coalesce(nullif(cur, 'null'), '[]') || jsonb_build_array(arg));
      ELSE
        result := {{schema}}.context_set_path(ctx, path, jsonb_build_array(arg) || coalesce(nullif(cur, 'null'), '[]'));
      END IF;
    WHEN 'remove' THEN
      IF kind NOT IN ('array', 'null', 'missing') THEN
        RAISE EXCEPTION '%', kind USING ERRCODE = 'HM002';
      END IF;
      arr := coalesce(nullif(cur, 'null'), '[]');
      IF (arg #>> '{}')::numeric < jsonb_array_length(arr) THEN
        arr := arr - (arg #>> '{}')::int;
      END IF;
      result := {{schema}}.context_set_path(ctx, path, arr);
    WHEN 'increment' THEN
      IF kind NOT IN ('number', 'null', 'missing') THEN
        RAISE EXCEPTION '%', kind USING ERRCODE = 'HM002';
      END IF;
      result := {{schema}}.context_set_path(ctx, path,
        to_jsonb(coalesce((nullif(cur, 'null') #>> '{}')::numeric, 0) + (arg #>> '{}')::numeric));
    WHEN 'toggle' THEN
      IF kind NOT IN ('boolean', 'null', 'missing') THEN
        RAISE EXCEPTION '%', kind USING ERRCODE = 'HM002';
      END IF;
      result := {{schema}}.context_set_path(ctx, path,
        to_jsonb(NOT coalesce((nullif(cur, 'null') #>> '{}')::boolean, false)));
    WHEN 'setIfNotExists' THEN
      IF cur IS NULL THEN
        result := {{schema}}.context_set_path(ctx, path, arg);
      ELSE
        result := ctx;
      END IF;
    ELSE
      RAISE EXCEPTION 'unknown context op %', op USING ERRCODE = '22023';
  END CASE;
  IF pg_column_size(result) > cap THEN
    RAISE EXCEPTION '%', pg_column_size(result) USING ERRCODE = 'HM003';
  END IF;
  RETURN result;
END
$$;
