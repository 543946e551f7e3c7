-- 0013: Entity.createIndex's DDL as a function of the schema, so no DDL is assembled in TypeScript.
-- A partial index on one top-level context field for the jobs of one entity, idempotent:
--   gin   on (context -> field)   serves `=` through containment (Entity.find adds the test);
--   btree on (context ->> field)  serves text =, IN, <, >, LIKE prefixes.
-- The caller validates entity and field (letters, digits, _) before it calls; format() quotes
-- them again (%I for the index name, %L for the literals) so nothing reaches the DDL unquoted.
CREATE FUNCTION {{schema}}.create_entity_index(p_name text, p_entity text, p_field text, p_kind text)
RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
  IF p_kind = 'gin' THEN
    EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON {{schema}}.jobs USING gin ((context -> %L)) WHERE entity = %L',
                   p_name, p_field, p_entity);
  ELSIF p_kind = 'btree' THEN
    EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON {{schema}}.jobs ((context ->> %L)) WHERE entity = %L',
                   p_name, p_field, p_entity);
  ELSE
    RAISE EXCEPTION 'index kind must be gin or btree, not %', p_kind USING ERRCODE = '22023';
  END IF;
  RETURN p_name;
END
$$;
