-- 0069: start({ pending: seconds }) (memflow-api.md §2.2): the job is created paused (its id taken,
-- its search fields stored) and runs only once `resume` releases it; one not resumed within `pending`
-- seconds is scrubbed by the retention sweep.
--  - start_job_pending: start_job_held (0067) with the main task held by the reserved owner 'pending'
--    and runnable never (run_at 'infinity': claims, takeovers and next_due pass it by), and the job
--    due to expire when the pending time ends. No NOTIFY: nothing can run it yet.
--  - resume_job (0023, restated whole as CREATE OR REPLACE needs): a pending job's task is released
--    (runnable now, its topic notified) and its expiry cleared (an `expire` option applies again
--    from its finish, as for any job); parked threads are resumed as before.
--  - sweep_expired_jobs (0065, restated whole): a pending job is due although its main thread is
--    'running' (it never ran); a hook running on it still keeps it (as 0065 keeps any job with a
--    live hook: its execHook callers are owed a reply).
CREATE FUNCTION {{schema}}.start_job_pending(
  p_id text, p_entity text, p_name text, p_queue text, p_input jsonb, p_options jsonb,
  p_search jsonb, p_parent text, p_topic text, p_origin text, p_pending float8)
RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM {{schema}}.start_job_held(p_id, p_entity, p_name, p_queue, p_input, p_options, p_search,
                                           p_parent, p_topic, '', p_origin, 'pending', 0, false);
  IF NOT FOUND THEN
    RETURN false; -- the id is taken
  END IF;
  UPDATE {{schema}}.tasks SET run_at = 'infinity' WHERE job_id = p_id AND thread = 'main' AND seq = 0;
  UPDATE {{schema}}.jobs SET expire_at = now() + make_interval(secs => p_pending) WHERE id = p_id;
  RETURN true;
END
$$;

CREATE OR REPLACE FUNCTION {{schema}}.resume_job(p_job text, p_channel text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  v_status text;
  v_threads text[];
  v_topic text;
BEGIN
  PERFORM FROM {{schema}}.tasks WHERE job_id = p_job AND kind = 'thread' ORDER BY id FOR NO KEY UPDATE;
  SELECT status INTO v_status FROM {{schema}}.jobs WHERE id = p_job FOR NO KEY UPDATE;
  IF NOT FOUND THEN
    RETURN 'not-found';
  END IF;
  -- a pending start: released now, and kept
  UPDATE {{schema}}.tasks SET lease_owner = NULL, run_at = now()
   WHERE job_id = p_job AND thread = 'main' AND seq = 0 AND lease_owner = 'pending'
  RETURNING topic INTO v_topic;
  IF FOUND THEN
    UPDATE {{schema}}.jobs SET expire_at = NULL, updated_at = now() WHERE id = p_job;
    PERFORM pg_notify(p_channel, v_topic);
    RETURN 'resumed';
  END IF;
  SELECT array_agg(thread) INTO v_threads FROM {{schema}}.threads WHERE job_id = p_job AND status = 'parked';
  IF v_threads IS NULL THEN
    RETURN v_status;
  END IF;
  UPDATE {{schema}}.threads SET status = 'running', error = NULL WHERE job_id = p_job AND thread = ANY(v_threads);
  UPDATE {{schema}}.jobs SET status = 'running', error = NULL, updated_at = now() WHERE id = p_job AND status = 'parked';
  FOR v_topic IN
    UPDATE {{schema}}.tasks SET run_at = now()
     WHERE job_id = p_job AND thread = ANY(v_threads) AND seq = 0 AND lease_owner IS NULL
    RETURNING topic
  LOOP
    PERFORM pg_notify(p_channel, v_topic);
  END LOOP;
  RETURN 'resumed';
END
$$;

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
  -- order would fill every round and starve the rest; a pending job's main thread (never run) does
  -- not count as live
  SELECT coalesce(array_agg(d.id), '{}') INTO v_due
    FROM (SELECT j.id FROM {{schema}}.jobs j
           WHERE j.expire_at <= now()
             AND NOT EXISTS (SELECT 1 FROM {{schema}}.threads t
                              WHERE t.job_id = j.id AND t.status IN ('running', 'parked')
                                AND NOT (t.thread = 'main' AND EXISTS (SELECT 1 FROM {{schema}}.tasks k
                                          WHERE k.job_id = j.id AND k.thread = 'main' AND k.seq = 0 AND k.lease_owner = 'pending')))
           ORDER BY j.expire_at LIMIT p_batch
             FOR UPDATE OF j SKIP LOCKED) d;
  -- a new snapshot: a hook start that committed before the lock above is seen here
  WITH gone AS (
    DELETE FROM {{schema}}.jobs j
     WHERE j.id = ANY(v_due)
       AND NOT EXISTS (SELECT 1 FROM {{schema}}.threads t
                        WHERE t.job_id = j.id AND t.status IN ('running', 'parked')
                          AND NOT (t.thread = 'main' AND EXISTS (SELECT 1 FROM {{schema}}.tasks k
                                    WHERE k.job_id = j.id AND k.thread = 'main' AND k.seq = 0 AND k.lease_owner = 'pending')))
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
