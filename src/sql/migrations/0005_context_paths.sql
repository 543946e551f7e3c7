-- 0005: one reading of a path for every op. Postgres' own `#>` and `#-` accept array indexes that
-- writes refuse ('-1' counts from the end, '01' means 1), so get('list.-1') read an element that
-- set('list.-1', v) could not write. Reads and deletes now follow the same rule as context_set_path:
-- a segment indexes an array only as a canonical non-negative integer below its length; anything
-- else is simply not there.

CREATE FUNCTION {{schema}}.context_get_path(target jsonb, path text[]) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  head text;
BEGIN
  IF coalesce(array_length(path, 1), 0) = 0 THEN
    RETURN target;
  END IF;
  head := path[1];
  CASE jsonb_typeof(target)
    WHEN 'object' THEN
      RETURN {{schema}}.context_get_path(target -> head, path[2:]);
    WHEN 'array' THEN
      IF head ~ '^(0|[1-9][0-9]{0,8})$' AND head::bigint < jsonb_array_length(target) THEN
        RETURN {{schema}}.context_get_path(target -> head::int, path[2:]);
      END IF;
      RETURN NULL;
    ELSE
      RETURN NULL;
  END CASE;
END
$$;

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

CREATE OR REPLACE FUNCTION {{schema}}.context_apply(ctx jsonb, op text, path text[], arg jsonb, cap int) RETURNS jsonb
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
  IF octet_length(result::text) > cap THEN
    RAISE EXCEPTION '%', octet_length(result::text) USING ERRCODE = 'HM003';
  END IF;
  RETURN result;
END
$$;
