-- 0004: two context ops leaked untyped database errors for input that passes validation.
--
--   * delete: `ctx #- path` raises 22P02 ("path element at position N is not an integer") when the path
--     runs into an array with a non-numeric segment (delete('list.x') with list = [...]), and 22023
--     ("cannot delete path in scalar") when the whole document is a scalar (after set(5)). Such a path
--     is not there, so, as for a missing key, an index out of range or a path through a nested
--     scalar, delete now leaves the document as it is.
--   * remove: the index was cast to int, so remove(path, 2147483648) or remove(path, 1e21) raised 22003
--     ("integer out of range"). An index past the end now removes nothing, whatever its size.
--
-- Everything else is as in 0002. context_at() picks the new definition up by name.
CREATE OR REPLACE FUNCTION {{schema}}.context_apply(ctx jsonb, op text, path text[], arg jsonb, cap int) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  cur jsonb := ctx #> path;
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
        BEGIN
          result := ctx #- path;
        EXCEPTION WHEN invalid_text_representation OR invalid_parameter_value THEN
          result := ctx; -- a non-numeric segment into an array, or a scalar document: nothing there
        END;
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
