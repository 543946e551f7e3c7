-- 0057: two context ops that were accepted and logged are refused with a ContextTypeError (HM002),
-- as the README's context API promises for "a path through a scalar" and for values JSON cannot hold:
--  - delete('s.x') where `s` is a string, number or boolean: context_delete_path left the document
--    as it was, and the op still bumped the version and wrote a log row (a silent no-op). A missing
--    or null parent, or an index past an array's end, stays "missing: no change".
--  - increment past the range of a double: numeric held the sum (2e308), JavaScript read it back as
--    Infinity and the document's JSON as null.
-- The checks run in context_op only, before anything is written. context_apply itself is unchanged,
-- so context_at replays the rows logged before this migration exactly as they were applied.
CREATE FUNCTION {{schema}}.context_apply_checked(ctx jsonb, op text, path text[], arg jsonb, cap int) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  n int := coalesce(array_length(path, 1), 0);
  node jsonb := ctx;
  seg text;
  result jsonb;
BEGIN
  IF op = 'delete' THEN
    -- walk the containers of the path's segments, the document first: a missing or null one ends the
    -- walk (nothing to remove), a scalar one is the clash
    FOR i IN 1..n LOOP
      EXIT WHEN node IS NULL OR jsonb_typeof(node) = 'null';
      IF jsonb_typeof(node) NOT IN ('object', 'array') THEN
        RAISE EXCEPTION '%', jsonb_typeof(node) USING ERRCODE = 'HM002', DETAIL = 'path through a ' || jsonb_typeof(node);
      END IF;
      seg := path[i];
      node := CASE
        WHEN jsonb_typeof(node) = 'object' THEN node -> seg
        WHEN seg ~ '^(0|[1-9][0-9]{0,8})$' AND seg::bigint < jsonb_array_length(node) THEN node -> seg::int
      END;
    END LOOP;
  END IF;
  result := {{schema}}.context_apply(ctx, op, path, arg, cap);
  IF op = 'increment' AND abs(({{schema}}.context_get_path(result, path) #>> '{}')::numeric) > 1.7976931348623157e308 THEN
    RAISE EXCEPTION 'number' USING ERRCODE = 'HM002', DETAIL = 'number whose sum is beyond the range of a double';
  END IF;
  RETURN result;
END
$$;

CREATE OR REPLACE FUNCTION {{schema}}.context_op(
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
     SET context = {{schema}}.context_apply_checked(j.context, p_op, p_path, p_arg, p_cap),
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
  -- a checkpoint every 32 versions, whatever the op's size: context_at starts from it
  IF v_version % 32 = 0 THEN
    INSERT INTO {{schema}}.context_checkpoints (job_id, version, context) VALUES (p_job, v_version, v_ctx)
    ON CONFLICT DO NOTHING;
  END IF;
  undef := value IS NULL;
  version := v_version::text;
  RETURN NEXT;
END
$$;
