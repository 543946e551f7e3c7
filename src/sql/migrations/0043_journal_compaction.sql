-- 0043: journal retention. With a retention set (worker option `journalRetention`), the journal of a
-- thread finished longer ago than that is deleted, in bounded batches, and a summary (calls per kind)
-- is kept on the thread. The job's context, context log, result, error and search fields stay: the
-- record is permanent, its replay data is not. A compacted thread cannot be replayed (resume, retry
-- or fork of it are refused).
ALTER TABLE {{schema}}.threads ADD COLUMN compacted_at timestamptz, ADD COLUMN journal_summary jsonb;
-- the sweeper walks finished, not yet compacted threads oldest first, and stops at its batch size
CREATE INDEX threads_compactable ON {{schema}}.threads (completed_at)
  WHERE completed_at IS NOT NULL AND compacted_at IS NULL;
