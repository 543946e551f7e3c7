-- 0021: which topics workers serve, kept fresh by every worker's heartbeat, so that a start on a
-- topic nobody serves (a typo in the workflow name or task queue) is noticed and said: the client
-- logs a warning naming the nearest served topics, instead of the job waiting in silence.
CREATE TABLE {{schema}}.served_topics (
  topic     text NOT NULL,
  owner     text NOT NULL,          -- the task loop (process and instance) that serves it
  seen_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (topic, owner)
);
CREATE INDEX served_topics_seen ON {{schema}}.served_topics (seen_at);
