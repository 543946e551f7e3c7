-- 0035: when a loop's claim finds nothing ready, it asks when the next task of its topics becomes
-- due, and sets a timer for that instant (task-loop.ts). Before, a loop learnt of due times only for
-- the threads it had suspended itself; a timer suspended by another process (or before a restart)
-- fired at the loop's next idle poll, up to maxPollMs (2 s) late: measured with 10,000 sleeps due at
-- one instant, the first finished 2.0 s after it. One probe of tasks_ready per topic (the first entry
-- past now()): a leased task's lease end counts too, so a dead worker's task is taken over on time.
CREATE FUNCTION {{schema}}.next_due(p_topics text[]) RETURNS float8
LANGUAGE sql STABLE AS $$
  SELECT (extract(epoch FROM min(d.run_at)) * 1000)::float8
    FROM unnest(p_topics) AS tp(topic)
   CROSS JOIN LATERAL (
     SELECT x.run_at FROM {{schema}}.tasks x
      WHERE x.topic = tp.topic AND x.run_at > now() AND x.run_at < 'infinity'
      ORDER BY x.run_at LIMIT 1) AS d
$$;
