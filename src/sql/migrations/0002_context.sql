-- 0002: context operations, applied in SQL so each op is one atomic statement (no read-modify-write
-- in JavaScript). Errors use SQLSTATE HM002 (type clash) and HM003 (size cap); the engine maps them
-- to ContextTypeError and PayloadTooLargeError. Paths arrive as text[] parameters, already validated.

-- Set `value` at `path`, creating missing parents (jsonb_set alone silently does nothing when a parent
-- is missing). A numeric segment indexes an array; index = length appends; beyond that is an error.
CREATE FUNCTION {{schema}}.context_set_path(target jsonb, path text[], value jsonb) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  head text;
  idx int;
BEGIN
  IF coalesce(array_length(path, 1), 0) = 0 THEN
    RETURN value;
  END IF;
  head := path[1];
  IF target IS NULL OR jsonb_typeof(target) = 'null' THEN
    target := '{}';
  END IF;
  IF jsonb_typeof(target) = 'object' THEN
    RETURN jsonb_set(target, ARRAY[head], {{schema}}.context_set_path(target -> head, path[2:], value), true);
  ELSIF jsonb_typeof(target) = 'array' THEN
    IF head !~ '^(0|[1-9][0-9]{0,8})$' THEN
      RAISE EXCEPTION 'array' USING ERRCODE = 'HM002', DETAIL = 'non-numeric index into an array';
    END IF;
    idx := head::int;
    IF idx > jsonb_array_length(target) THEN
      RAISE EXCEPTION 'array' USING ERRCODE = 'HM002', DETAIL = 'array index out of range';
    END IF;
    RETURN jsonb_set(target, ARRAY[head], {{schema}}.context_set_path(target -> idx, path[2:], value), true);
  ELSE
    RAISE EXCEPTION '%', jsonb_typeof(target) USING ERRCODE = 'HM002', DETAIL = 'cannot create a path inside a scalar';
  END IF;
END
$$;

-- Deep merge: objects merge key by key, recursively; anything else (arrays included) is replaced.
CREATE FUNCTION {{schema}}.context_merge(a jsonb, b jsonb) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  k text;
  v jsonb;
BEGIN
  IF a IS NULL OR jsonb_typeof(a) <> 'object' OR jsonb_typeof(b) <> 'object' THEN
    RETURN b;
  END IF;
  FOR k, v IN SELECT * FROM jsonb_each(b) LOOP
    a := jsonb_set(a, ARRAY[k], {{schema}}.context_merge(a -> k, v), true);
  END LOOP;
  RETURN a;
END
$$;

-- Apply one op and return the new context. `arg` is the op's JSON argument; `cap` the size limit.
CREATE FUNCTION {{schema}}.context_apply(ctx jsonb, op text, path text[], arg jsonb, cap int) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  cur jsonb := ctx #> path;
  kind text := coalesce(jsonb_typeof(cur), 'missing');
  result jsonb;
BEGIN
  CASE op
    WHEN 'set' THEN
      result := {{schema}}.context_set_path(ctx, path, arg);
    WHEN 'merge' THEN
      IF kind NOT IN ('object', 'null', 'missing') THEN
        RAISE EXCEPTION '%', kind USING ERRCODE = 'HM002';
      END IF;
      result := {{schema}}.context_set_path(ctx, path, {{schema}}.context_merge(coalesce(cur, '{}'), arg));
    WHEN 'delete' THEN
      IF coalesce(array_length(path, 1), 0) = 0 THEN
        result := '{}';
      ELSE
        result := ctx #- path;
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
      result := {{schema}}.context_set_path(ctx, path, coalesce(nullif(cur, 'null'), '[]') - (arg #>> '{}')::int);
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
  IF octet_length(result::text) > cap THEN
    RAISE EXCEPTION '%', octet_length(result::text) USING ERRCODE = 'HM003';
  END IF;
  RETURN result;
END
$$;

-- What a context looked like at version N: replay its logged ops from the empty document.
CREATE FUNCTION {{schema}}.context_at(p_job text, p_version bigint) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  WITH RECURSIVE r(version, ctx) AS (
    SELECT 0::bigint, '{}'::jsonb
    UNION ALL
    SELECT l.version, {{schema}}.context_apply(r.ctx, l.op, l.path, l.arg, 2147483647)
      FROM r JOIN {{schema}}.context_log l ON l.job_id = p_job AND l.version = r.version + 1
     WHERE l.version <= p_version
  )
  SELECT ctx FROM r ORDER BY version DESC LIMIT 1
$$;
