-- 0009: the per-step statement as one plpgsql call. PGlite has no prepared statements, so planning
-- the INSERT … SELECT … ON CONFLICT each step cost more than running it; inside a function the plan
-- is cached for the session. Same semantics as the statement it replaces (queries/journal.ts):
-- fenced by the task lease, and only a 'retry' row may be overwritten. Answers the seq, or nothing
-- when the lease was lost.
CREATE FUNCTION {{schema}}.journal_append(
  p_task bigint, p_claims int, p_job text, p_thread text, p_seq int, p_kind text, p_name text,
  p_status text, p_result jsonb, p_attempt int, p_batch int)
RETURNS SETOF int
LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM {{schema}}.tasks t WHERE t.id = p_task AND t.claims = p_claims) THEN
    RETURN;
  END IF;
  RETURN QUERY
  INSERT INTO {{schema}}.journal AS j (job_id, thread, seq, kind, name, status, result, attempt, batch)
  VALUES (p_job, p_thread, p_seq, p_kind, p_name, p_status, p_result, p_attempt, p_batch)
  ON CONFLICT (job_id, thread, seq) DO UPDATE
     SET status = excluded.status, result = excluded.result, attempt = excluded.attempt,
         batch = excluded.batch, due_at = NULL
   WHERE j.status = 'retry'
  RETURNING j.seq;
END
$$;
