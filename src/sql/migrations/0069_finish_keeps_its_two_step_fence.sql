-- 0069: drop 0067's finish_thread_fenced; a thread's finish is 0047's finish_thread_journaled again.
-- A review found two faults in the one-function finish: its fence was the task's DELETE, so a finish
-- refused for a result (a seq that already had one) deleted the row and inserted a copy, and a
-- statement waiting on that row's lock (wake_thread from a signal or a child's end, a heartbeat,
-- interrupt_job) then skipped it once the finish committed: a wake-up lost, where 0047's KEY SHARE
-- fence changes nothing on a refusal. And it was a second copy of the finish's rules (the NOTIFY rule,
-- the parent's wake-up) beside finish_thread_watched, which the group finish (0056) still uses. Its
-- gain was about 25 us of server time per finish. 0067's start_job_held change stays.
DROP FUNCTION {{schema}}.finish_thread_fenced(bigint, int, text, text, jsonb, jsonb, text, jsonb, jsonb, float8, text, text);
