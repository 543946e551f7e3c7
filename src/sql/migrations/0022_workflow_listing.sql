-- 0022: the management API's read side (issue 8): listing jobs newest first, by keyset, over indexes,
-- and the `cancelled` status (handle.cancel: the workflow did not catch its CancelledError).

-- A job or thread may now end `cancelled`. NOT VALID + VALIDATE: the check of existing rows takes
-- no lock that stops writers.
ALTER TABLE {{schema}}.jobs DROP CONSTRAINT jobs_status_check;
ALTER TABLE {{schema}}.jobs ADD CONSTRAINT jobs_status_check
  CHECK (status IN ('running', 'completed', 'failed', 'interrupted', 'parked', 'cancelled')) NOT VALID;
ALTER TABLE {{schema}}.jobs VALIDATE CONSTRAINT jobs_status_check;
ALTER TABLE {{schema}}.threads DROP CONSTRAINT threads_status_check;
ALTER TABLE {{schema}}.threads ADD CONSTRAINT threads_status_check
  CHECK (status IN ('running', 'completed', 'failed', 'interrupted', 'parked', 'cancelled')) NOT VALID;
ALTER TABLE {{schema}}.threads VALIDATE CONSTRAINT threads_status_check;

-- Newest first, with the id as the tie-breaker: every list page is one range scan of one of these.
CREATE INDEX jobs_listing ON {{schema}}.jobs (created_at DESC, id DESC);
CREATE INDEX jobs_listing_status ON {{schema}}.jobs (status, created_at DESC, id DESC);
CREATE INDEX jobs_listing_name ON {{schema}}.jobs (workflow_name, created_at DESC, id DESC);
CREATE INDEX jobs_listing_queue ON {{schema}}.jobs (task_queue, created_at DESC, id DESC);
-- describe(): a job's children; interrupt_job's descent.
CREATE INDEX jobs_parent ON {{schema}}.jobs (parent_id) WHERE parent_id IS NOT NULL;

-- A running job is `waiting` when none of its threads can go on now: no thread task is leased or due.
CREATE FUNCTION {{schema}}.job_is_waiting(p_job text) RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT NOT EXISTS (SELECT 1 FROM {{schema}}.tasks t
                      WHERE t.job_id = p_job AND t.kind = 'thread' AND (t.lease_owner IS NOT NULL OR t.run_at <= now()))
$$;

-- The WHERE clause of a filter: fixed fragments, one per filter given (NULL: not applied), so each
-- call is planned for exactly the filters it has (a generic plan of `$1 IS NULL OR …` can use no
-- index). Values are never in the text: the fragments name the parameters $1 … $10 that list_jobs
-- and count_jobs bind in this order (USING):
--   $1 p_statuses  stored statuses (running, completed, failed, interrupted, parked, cancelled)
--   $2 p_waiting   for running jobs: true only waiting ones, false only those with work ready or leased
--   $3 workflow name, $4 task queue, $5 entity, $6 id prefix, $7 created at or after, $8 created before,
--   $9/$10 search fields and the values each must equal.
CREATE FUNCTION {{schema}}.job_filter(
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
    w := w || ' AND (j.status <> ''running'' OR {{schema}}.job_is_waiting(j.id) = $2)';
  END IF;
  IF p_name IS NOT NULL THEN w := w || ' AND j.workflow_name = $3'; END IF;
  IF p_queue IS NOT NULL THEN w := w || ' AND j.task_queue = $4'; END IF;
  IF p_entity IS NOT NULL THEN w := w || ' AND j.entity = $5'; END IF;
  IF p_prefix IS NOT NULL THEN w := w || ' AND starts_with(j.id, $6)'; END IF;
  IF p_after IS NOT NULL THEN w := w || ' AND j.created_at >= $7'; END IF;
  IF p_before IS NOT NULL THEN w := w || ' AND j.created_at < $8'; END IF;
  IF p_fields IS NOT NULL THEN
    w := w || ' AND NOT EXISTS (SELECT 1 FROM unnest($9, $10) AS f(field, value)'
           || ' WHERE NOT EXISTS (SELECT 1 FROM {{schema}}.jobs_attributes a'
           || ' WHERE a.job_id = j.id AND a.field = f.field AND a.value = f.value))';
  END IF;
  RETURN w;
END
$$;

-- One page of jobs matching the filter, newest first, after the keyset (p_cursor_at, p_cursor_id)
-- when given. `cursor_at` is created_at to the microsecond, for the next page's keyset.
CREATE FUNCTION {{schema}}.list_jobs(
  p_statuses text[], p_waiting boolean, p_name text, p_queue text, p_entity text, p_prefix text,
  p_after timestamptz, p_before timestamptz, p_fields text[], p_values text[],
  p_cursor_at timestamptz, p_cursor_id text, p_limit int)
RETURNS TABLE (id text, workflow_name text, task_queue text, entity text, status text, waiting boolean,
               created_at text, updated_at text, completed_at text, parent_id text, cursor_at text)
LANGUAGE plpgsql STABLE AS $$
DECLARE
  q text := 'SELECT j.id, j.workflow_name, j.task_queue, j.entity, j.status,'
    || ' j.status = ''running'' AND {{schema}}.job_is_waiting(j.id),'
    || ' to_char(j.created_at AT TIME ZONE ''UTC'', ''YYYY-MM-DD"T"HH24:MI:SS.MS"Z"''),'
    || ' to_char(j.updated_at AT TIME ZONE ''UTC'', ''YYYY-MM-DD"T"HH24:MI:SS.MS"Z"''),'
    || ' to_char(j.completed_at AT TIME ZONE ''UTC'', ''YYYY-MM-DD"T"HH24:MI:SS.MS"Z"''),'
    || ' j.parent_id,'
    || ' to_char(j.created_at AT TIME ZONE ''UTC'', ''YYYY-MM-DD"T"HH24:MI:SS.US"Z"'')'
    || ' FROM {{schema}}.jobs j'
    || {{schema}}.job_filter(p_statuses, p_waiting, p_name, p_queue, p_entity, p_prefix, p_after, p_before, p_fields);
BEGIN
  IF p_cursor_at IS NOT NULL THEN q := q || ' AND (j.created_at, j.id) < ($11, $12)'; END IF;
  q := q || ' ORDER BY j.created_at DESC, j.id DESC LIMIT $13';
  RETURN QUERY EXECUTE q USING p_statuses, p_waiting, p_name, p_queue, p_entity, p_prefix, p_after, p_before,
    p_fields, p_values, p_cursor_at, p_cursor_id, p_limit;
END
$$;

-- How many jobs match the filter, by stored status and (running ones) whether they wait.
CREATE FUNCTION {{schema}}.count_jobs(
  p_statuses text[], p_waiting boolean, p_name text, p_queue text, p_entity text, p_prefix text,
  p_after timestamptz, p_before timestamptz, p_fields text[], p_values text[])
RETURNS TABLE (status text, waiting boolean, n bigint)
LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN QUERY EXECUTE
    'SELECT j.status, j.status = ''running'' AND {{schema}}.job_is_waiting(j.id), count(*) FROM {{schema}}.jobs j'
    || {{schema}}.job_filter(p_statuses, p_waiting, p_name, p_queue, p_entity, p_prefix, p_after, p_before, p_fields)
    || ' GROUP BY 1, 2'
  USING p_statuses, p_waiting, p_name, p_queue, p_entity, p_prefix, p_after, p_before, p_fields, p_values;
END
$$;
