-- 0002: context operations, applied in SQL so each op is one atomic statement (no read-modify-write
-- in JavaScript). Errors use SQLSTATE HM002 (type clash) and HM003 (size cap); the engine maps them
-- to ContextTypeError and PayloadTooLargeError. Paths arrive as text[] parameters, already validated.
--
-- One rule for every op: a segment indexes an array only as a canonical non-negative integer below
-- its length (PostgreSQL's own #> and #- also accept '-1' and '01', which writes refuse); anything
-- else is simply not there. Paths are walked with loops of built-in operators, and the size cap reads
-- the jsonb datum's size (pg_column_size), not the document serialised to text.
-- (Migrations 0004, 0005 and 0007 of the unreleased history were folded into this one.)

-- Only canonical non-negative integers below the length index an array; anything else is not there.
CREATE FUNCTION {{schema}}.context_get_path(target jsonb, path text[]) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  seg text;
BEGIN
  IF path IS NULL THEN
    RETURN target;
  END IF;
  FOREACH seg IN ARRAY path LOOP
    CASE jsonb_typeof(target)
      WHEN 'object' THEN
        target := target -> seg;
      WHEN 'array' THEN
        IF seg ~ '^(0|[1-9][0-9]{0,8})$' AND seg::bigint < jsonb_array_length(target) THEN
          target := target -> seg::int;
        ELSE
          RETURN NULL;
        END IF;
      ELSE
        RETURN NULL;
    END CASE;
    IF target IS NULL THEN
      RETURN NULL;
    END IF;
  END LOOP;
  RETURN target;
END
$$;

-- Set `value` at `path`, creating missing (or null) parents as objects. Every parent is checked with
-- the rule above before jsonb_set runs once on the full path.
CREATE FUNCTION {{schema}}.context_set_path(target jsonb, path text[], value jsonb) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  n int := coalesce(array_length(path, 1), 0);
  parent jsonb;
  seg text;
BEGIN
  IF n = 0 THEN
    RETURN value;
  END IF;
  IF target IS NULL OR jsonb_typeof(target) = 'null' THEN
    target := '{}';
  END IF;
  FOR i IN 1..n LOOP
    parent := target #> path[1:i - 1];
    IF parent IS NULL OR jsonb_typeof(parent) = 'null' THEN
      target := jsonb_set(target, path[1:i - 1], '{}', true);
      parent := '{}';
    END IF;
    seg := path[i];
    CASE jsonb_typeof(parent)
      WHEN 'object' THEN
        NULL;
      WHEN 'array' THEN
        IF seg !~ '^(0|[1-9][0-9]{0,8})$' THEN
          RAISE EXCEPTION 'array' USING ERRCODE = 'HM002', DETAIL = 'non-numeric index into an array';
        END IF;
        IF seg::bigint > jsonb_array_length(parent) THEN
          RAISE EXCEPTION 'array' USING ERRCODE = 'HM002', DETAIL = 'array index out of range';
        END IF;
      ELSE
        RAISE EXCEPTION '%', jsonb_typeof(parent) USING ERRCODE = 'HM002', DETAIL = 'cannot create a path inside a scalar';
    END CASE;
  END LOOP;
  RETURN jsonb_set(target, path, value, true);
END
$$;

-- Remove the value at `path` (a path that is not there leaves the document as it is).
CREATE FUNCTION {{schema}}.context_delete_path(target jsonb, path text[]) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  head text;
  child jsonb;
BEGIN
  head := path[1];
  CASE jsonb_typeof(target)
    WHEN 'object' THEN
      IF array_length(path, 1) = 1 THEN
        RETURN target - head;
      END IF;
      child := target -> head;
    WHEN 'array' THEN
      IF NOT (head ~ '^(0|[1-9][0-9]{0,8})$' AND head::bigint < jsonb_array_length(target)) THEN
        RETURN target;
      END IF;
      IF array_length(path, 1) = 1 THEN
        RETURN target - head::int;
      END IF;
      child := target -> head::int;
    ELSE
      RETURN target;
  END CASE;
  IF child IS NULL OR jsonb_typeof(child) NOT IN ('object', 'array') THEN
    RETURN target;
  END IF;
  RETURN jsonb_set(target, ARRAY[head], {{schema}}.context_delete_path(child, path[2:]));
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
  cur jsonb := {{schema}}.context_get_path(ctx, path);
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
      result := {{schema}}.context_set_path(ctx, path, {{schema}}.context_merge(coalesce(cur, '{}'), arg));
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
