-- 0018: waking a thread leaves a parked thread parked (issue 7).
--
-- wake_thread made any task that was not leased runnable now, a parked one (run_at 'infinity' after
-- a NonDeterminismError) included: every signal, child completion or remote activity result
-- addressed to a parked thread ran it again, into the same NonDeterminismError
-- (test/parked-thread-stays-parked.test.ts). A parked thread stays parked until it is resumed; the
-- wake-up is still counted, and what woke it is in the journal for the run that resumes it. The
-- thread's own row says it is parked (threads.status); the task's run_at alone cannot tell, since a
-- thread suspended with nothing due has run_at 'infinity' too.
CREATE OR REPLACE FUNCTION {{schema}}.wake_thread(p_job text, p_thread text) RETURNS void
LANGUAGE sql AS $$
  WITH woken AS (
    UPDATE {{schema}}.tasks t
       SET wakeups = t.wakeups + 1,
           run_at = CASE WHEN t.lease_owner IS NULL AND NOT parked.is THEN least(t.run_at, now()) ELSE t.run_at END
      FROM (SELECT EXISTS (SELECT 1 FROM {{schema}}.threads th
                            WHERE th.job_id = p_job AND th.thread = p_thread AND th.status = 'parked') AS is) parked
     WHERE t.job_id = p_job AND t.thread = p_thread AND t.seq = 0
    RETURNING t.topic, t.lease_owner IS NULL AND NOT parked.is AS ready
  )
  SELECT pg_notify({{channel}}, topic) FROM woken WHERE ready;
$$;
