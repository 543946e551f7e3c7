-- 0065: the retention sweep of expired jobs, as one function: lock the due jobs, then check for live
-- hooks and delete, in two statements. One statement (the query it replaces) checked "no thread of
-- the job runs or waits" in a snapshot taken before it deleted, so a hook start committing in between
-- was deleted with its job. In a VOLATILE plpgsql function under READ COMMITTED each statement takes a
-- new snapshot: the delete's check sees every hook start that committed before the locks were taken.
-- Hook starts read their job FOR KEY SHARE until they commit, so the lock (SKIP LOCKED) steps over a
-- job whose hook start is in flight, and a hook start that comes after it waits, then finds no job.
-- One statement rather than a transaction of two, so that it runs under the driver's deadlines.
-- p_lock_key: the app's sweep try-lock (one process sweeps a round; the others skip it, held false).
-- locked: how many due jobs the round took (p_batch of them: more may be due now).
CREATE OR REPLACE FUNCTION {{schema}}.sweep_expired_jobs(p_lock_key text, p_batch int)
RETURNS TABLE (held boolean, locked int, deleted int, next_in_ms float8)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  v_due text[];
  v_gone text[];
BEGIN
  IF NOT pg_try_advisory_xact_lock(hashtextextended(p_lock_key, 0)) THEN
    RETURN QUERY SELECT false, 0, 0, NULL::float8;
    RETURN;
  END IF;
  -- jobs held by a live hook are left out here too, or p_batch of them at the head of the expiry
  -- order would fill every round and starve the rest
  SELECT coalesce(array_agg(d.id), '{}') INTO v_due
    FROM (SELECT j.id FROM {{schema}}.jobs j
           WHERE j.expire_at <= now()
             AND NOT EXISTS (SELECT 1 FROM {{schema}}.threads t WHERE t.job_id = j.id AND t.status IN ('running', 'parked'))
           ORDER BY j.expire_at LIMIT p_batch
             FOR UPDATE OF j SKIP LOCKED) d;
  -- a new snapshot: a hook start that committed before the lock above is seen here
  WITH gone AS (
    DELETE FROM {{schema}}.jobs j
     WHERE j.id = ANY(v_due)
       AND NOT EXISTS (SELECT 1 FROM {{schema}}.threads t WHERE t.job_id = j.id AND t.status IN ('running', 'parked'))
    RETURNING j.id
  )
  SELECT coalesce(array_agg(gone.id), '{}') INTO v_gone FROM gone;
  DELETE FROM {{schema}}.threads WHERE job_id = ANY(v_gone);
  DELETE FROM {{schema}}.journal WHERE job_id = ANY(v_gone);
  DELETE FROM {{schema}}.tasks WHERE job_id = ANY(v_gone);
  DELETE FROM {{schema}}.waiters WHERE job_id = ANY(v_gone);
  DELETE FROM {{schema}}.signals WHERE job_id = ANY(v_gone);
  DELETE FROM {{schema}}.context_log WHERE job_id = ANY(v_gone);
  DELETE FROM {{schema}}.context_checkpoints WHERE job_id = ANY(v_gone);
  DELETE FROM {{schema}}.jobs_attributes WHERE job_id = ANY(v_gone);
  RETURN QUERY
  SELECT true, cardinality(v_due), cardinality(v_gone),
         (SELECT (extract(epoch FROM min(j.expire_at) - now()) * 1000)::float8 FROM {{schema}}.jobs j WHERE j.expire_at > now());
END
$$;
