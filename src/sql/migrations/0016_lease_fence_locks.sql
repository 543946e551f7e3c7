-- 0016: the lease fence locks the task row (fault 5 of issue 7).
--
-- lease_held() was a plain read: a fenced write compared `claims` with the last committed version of
-- the task row, so a claim that had already locked the row, bumped `claims` and read the journal,
-- but not yet committed, did not stop it. The old holder's journal write committed, the new holder
-- replayed without it and ran the step again (test/lease-fence-serialises-with-claims.test.ts).
--
-- Now the test takes FOR KEY SHARE on the row, held until the fenced write commits:
--   - it conflicts with the claim's FOR UPDATE (claim_tasks, migration 0008). A claim that locked
--     the row first makes the fenced write wait; once the claim commits, the lock re-reads the newest
--     version of the row, `claims` no longer matches, and the write is refused. A fenced write that
--     locked first is skipped by the claim (SKIP LOCKED), which finds the task again once the write
--     committed, and its journal read (after the lock) sees it.
--   - it does not conflict with FOR NO KEY UPDATE, the lock every UPDATE of the task row's non-key
--     columns takes: the heartbeat (extendLeases), wake_thread, suspend, retry, park and release
--     never wait for a fenced write, so no lock order between them and a write can deadlock. (FOR
--     SHARE would conflict with those: a write that holds its own task and wakes a parent whose task
--     the same worker's heartbeat has locked, while that heartbeat waits for the first task, would
--     deadlock.)
--
-- plpgsql rather than SQL: a SELECT … FOR KEY SHARE makes the function volatile, and a volatile SQL
-- function is planned again in every transaction, while plpgsql keeps its plan for the session
-- (pgbench, a fenced one-row INSERT: 0.09-0.13 ms with this one, 0.13-0.18 ms with the old STABLE SQL
-- one, 0.15-0.20 ms with the locking SQL one; the old one was not inlined either, its EXISTS
-- sub-select prevents that).
CREATE OR REPLACE FUNCTION {{schema}}.lease_held(p_task bigint, p_claims int) RETURNS boolean
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  PERFORM FROM {{schema}}.tasks WHERE id = p_task AND claims = p_claims FOR KEY SHARE;
  RETURN FOUND;
END
$$;
