-- 0051: jobs had two identical indexes on parent_id (jobs_parent from 0022, jobs_by_parent from
-- 0034, added for interrupt({ descend }) without noticing the first). Every insert and every
-- non-HOT update of a child job maintained both. Keep 0022's.
DROP INDEX IF EXISTS {{schema}}.jobs_by_parent;
