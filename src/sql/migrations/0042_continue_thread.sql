-- 0042: continueAsNew. A thread's run ends and the thread starts over with new arguments, on the same
-- job (its context, search fields and other threads carry over). Fenced by the task lease, like
-- every write a run makes. Everything the ended run left pending goes, what could still deliver into
-- it first and its journal last: its remote activity tasks (a worker still running one is refused by
-- the fence: its task is gone), its signal waits, and the link of the children it awaits (running or
-- parked: they finish on their own; their results no longer land in this thread); then its journal
-- (timers are journal rows with a due time).
-- The new run counts its calls on from the last seq the ended run took (`seq_base`), so every id
-- derived from a call's position (child and hook ids, activity idempotency keys, random()) stays
-- unique across runs, and a late result addressed to an old seq is never read as a new call's.
-- A cancellation the ended run was handed (its journal holds the CancelledError) is spent.
-- The thread's task is given back, due now; `runs` counts the runs the thread has started.
ALTER TABLE {{schema}}.threads ADD COLUMN runs int NOT NULL DEFAULT 1, ADD COLUMN seq_base int NOT NULL DEFAULT 0;

CREATE FUNCTION {{schema}}.continue_thread(
  p_task bigint, p_claims int, p_job text, p_thread text, p_args jsonb, p_last_seq int)
RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
  IF NOT {{schema}}.lease_held(p_task, p_claims) THEN
    RETURN false;
  END IF;
  DELETE FROM {{schema}}.tasks WHERE job_id = p_job AND thread = p_thread AND id <> p_task;
  DELETE FROM {{schema}}.waiters WHERE job_id = p_job AND thread = p_thread;
  UPDATE {{schema}}.jobs
     SET options = jsonb_set(options, '{parent,await}', 'false')
   WHERE parent_id = p_job AND status IN ('running', 'parked')
     AND options -> 'parent' ->> 'job' = p_job AND options -> 'parent' ->> 'thread' = p_thread
     AND (options -> 'parent' ->> 'await')::boolean;
  IF p_thread = 'main' AND EXISTS (
    SELECT 1 FROM {{schema}}.journal
     WHERE job_id = p_job AND thread = 'main' AND status = 'failed' AND result ->> 'type' = 'CancelledError') THEN
    UPDATE {{schema}}.jobs SET options = options - 'cancel' WHERE id = p_job;
  END IF;
  DELETE FROM {{schema}}.journal WHERE job_id = p_job AND thread = p_thread;
  UPDATE {{schema}}.threads
     SET args = p_args, failures = 0, error = NULL, runs = runs + 1, seq_base = greatest(seq_base, p_last_seq)
   WHERE job_id = p_job AND thread = p_thread;
  UPDATE {{schema}}.tasks SET lease_owner = NULL, run_at = now() WHERE id = p_task AND claims = p_claims;
  RETURN true;
END
$$;
