-- 0034: indexes the hot paths lacked (issue 12), found with EXPLAIN at a million jobs.
--
--   signals (job_id)   deleteExpiredJobs deletes a finished job's buffered signals by job id; with
--                      no index on job_id, every sweep of expired jobs read the whole signals table
--                      (signals_by_id leads with signal_id).
--   jobs (parent_id)   interrupt({ descend: true }) walks a job's children by parent_id: a scan of
--                      every job, once per level of the tree.
-- Both partial: most jobs have no parent, and app-wide signals have no job.
-- Built inside the migration's transaction (CREATE INDEX CONCURRENTLY cannot be): writes to these two
-- tables wait for the build, about a second per million rows on the team machine.
CREATE INDEX signals_by_job ON {{schema}}.signals (job_id) WHERE job_id IS NOT NULL;
CREATE INDEX jobs_by_parent ON {{schema}}.jobs (parent_id) WHERE parent_id IS NOT NULL;
