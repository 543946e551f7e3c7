-- 0042: continueAsNew. A thread's run ends and the thread starts over with new arguments, on the same
-- job (its context, search fields and other threads carry over). Fenced by the task lease, like
-- every write a run makes. Everything the ended run left pending goes:
--   its journal (timers are journal rows with a due time), its signal waits, its remote activity
--   tasks (a worker still running one is refused by the fence: its task is gone), and the link of the
--   children it awaits (they finish on their own; their results no longer land in this thread).
-- The thread's task is given back, due now; `runs` counts the runs the thread has started.
ALTER TABLE {{schema}}.threads ADD COLUMN runs int NOT NULL DEFAULT 1;

CREATE FUNCTION {{schema}}.continue_thread(p_task bigint, p_claims int, p_job text, p_thread text, p_args jsonb)
RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
  IF NOT {{schema}}.lease_held(p_task, p_claims) THEN
    RETURN false;
  END IF;
  DELETE FROM {{schema}}.journal WHERE job_id = p_job AND thread = p_thread;
  DELETE FROM {{schema}}.waiters WHERE job_id = p_job AND thread = p_thread;
  DELETE FROM {{schema}}.tasks WHERE job_id = p_job AND thread = p_thread AND id <> p_task;
  UPDATE {{schema}}.jobs
     SET options = jsonb_set(options, '{parent,await}', 'false')
   WHERE parent_id = p_job AND status = 'running'
     AND options -> 'parent' ->> 'job' = p_job AND options -> 'parent' ->> 'thread' = p_thread
     AND (options -> 'parent' ->> 'await')::boolean;
  UPDATE {{schema}}.threads
     SET args = p_args, failures = 0, error = NULL, runs = runs + 1
   WHERE job_id = p_job AND thread = p_thread;
  UPDATE {{schema}}.tasks SET lease_owner = NULL, run_at = now() WHERE id = p_task AND claims = p_claims;
  RETURN true;
END
$$;
