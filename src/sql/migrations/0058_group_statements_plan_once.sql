-- 0058: the two group functions plan their statements once per session (issue 12).
-- PL/pgSQL plans a statement with parameters afresh for its first five runs in a session (custom
-- plans), and again five times whenever a table's new statistics invalidate the cached plan, which a
-- growing table's autoanalyze does every few thousand rows. These statements take the group as one
-- jsonb parameter, whose value the planner cannot use (a function scan is estimated the same whatever
-- its argument), so every custom plan came out as the generic one, at 0.3-0.6 ms each for the finish's
-- statement. pg_stat_statements (track = all) over the DBOS harness's 1,000 workflows at 16 in flight:
-- the nested statements were planned 12 times (7.6 + 3.6 + 3.9 ms), now 2 (1.9 + 0.6 + 0.4 ms).
ALTER FUNCTION {{schema}}.start_jobs_held(jsonb) SET plan_cache_mode = force_generic_plan;
ALTER FUNCTION {{schema}}.finish_threads_journaled(jsonb) SET plan_cache_mode = force_generic_plan;
