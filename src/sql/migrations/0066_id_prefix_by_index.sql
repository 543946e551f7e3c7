-- 0066: `idPrefix` served by an index. 0022's `starts_with(j.id, $6)` matched no index (the primary
-- key's collation is the database's, and LIKE or starts_with can walk it only under "C"), so a page of
-- a prefix filter either walked the created_at order until it had its page or read the whole table
-- and sorted it: 2-10 ms or 180 ms p50 at 1M jobs (`npm run bench`, section `list`), as the planner
-- chose. A pattern-ops index on the id, and the prefix as an escaped LIKE pattern, make it a range of
-- that index, with estimates the planner can trust. Same parameters and meaning as 0024's. The index
-- is built inside the migration's transaction: job writes wait while it is (about a second per
-- million jobs on the team machine).
CREATE INDEX jobs_id_prefix ON {{schema}}.jobs (id text_pattern_ops);

CREATE OR REPLACE FUNCTION {{schema}}.job_filter(
  p_statuses text[], p_waiting boolean, p_name text, p_queue text, p_entity text, p_prefix text,
  p_after timestamptz, p_before timestamptz, p_fields text[]) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  w text := ' WHERE true';
BEGIN
  IF p_statuses IS NOT NULL THEN
    IF cardinality(p_statuses) = 1 THEN
      w := w || ' AND j.status = $1[1]'; -- one status: the (status, created_at, id) index keeps the order
    ELSE
      w := w || ' AND j.status = ANY($1)';
    END IF;
  END IF;
  IF p_waiting IS NOT NULL THEN
    IF p_statuses = ARRAY['running'] AND NOT p_waiting THEN
      w := w || ' AND EXISTS (SELECT 1 FROM {{schema}}.tasks t WHERE t.job_id = j.id AND t.kind = ''thread'''
             || ' AND (t.lease_owner IS NOT NULL OR t.run_at <= now()))';
    ELSE
      w := w || ' AND (j.status <> ''running'' OR {{schema}}.job_is_waiting(j.id) = $2)';
    END IF;
  END IF;
  IF p_name IS NOT NULL THEN w := w || ' AND j.workflow_name = $3'; END IF;
  IF p_queue IS NOT NULL THEN w := w || ' AND j.task_queue = $4'; END IF;
  IF p_entity IS NOT NULL THEN w := w || ' AND j.entity = $5'; END IF;
  -- the prefix as a LIKE pattern (its own !, % and _ escaped with !, so no backslash depends on
  -- standard_conforming_strings), which the planner folds to a constant (EXECUTE ... USING binds its
  -- values as such) and reads as a range of jobs_id_prefix
  IF p_prefix IS NOT NULL THEN
    w := w || ' AND j.id LIKE replace(replace(replace($6, ''!'', ''!!''), ''%'', ''!%''), ''_'', ''!_'') || ''%'' ESCAPE ''!''';
  END IF;
  IF p_after IS NOT NULL THEN w := w || ' AND j.created_at >= $7'; END IF;
  IF p_before IS NOT NULL THEN w := w || ' AND j.created_at < $8'; END IF;
  FOR i IN 1 .. coalesce(cardinality(p_fields), 0) LOOP
    w := w || ' AND j.id IN (SELECT a.job_id FROM {{schema}}.jobs_attributes a WHERE a.field = $9[' || i
           || '] AND a.value = $10[' || i || '])';
  END LOOP;
  RETURN w;
END
$$;
