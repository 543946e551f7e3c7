/** Named queries on `served_topics` (migration 0021): what workers serve, seen by their heartbeat. */
import { defineQuery } from '../define-query.js';

/**
 * A worker's heartbeat: it serves these topics now (rows of owners silent for a day are dropped). It
 * answers, of those topics, the ones another owner served within the last `withinSeconds` (the
 * select reads the table as it was before this statement's own write, which it skips anyway).
 */
export const recordServedTopics = defineQuery<{ owner: string; topics: string[]; withinSeconds: number }, { topic: string }>(/* sql */ `
WITH gone AS (
  DELETE FROM {{schema}}.served_topics WHERE seen_at < now() - interval '1 day'
), seen AS (
  INSERT INTO {{schema}}.served_topics (topic, owner)
  SELECT t, $owner FROM unnest($topics::text[]) AS t
  ON CONFLICT (topic, owner) DO UPDATE SET seen_at = now()
)
SELECT DISTINCT topic FROM {{schema}}.served_topics
 WHERE topic = ANY($topics::text[]) AND owner <> $owner AND seen_at > now() - make_interval(secs => $withinSeconds)`);

/** Topics some worker served within the last `withinSeconds`. */
export const recentlyServedTopics = defineQuery<{ withinSeconds: number }, { topic: string }>(/* sql */ `
SELECT DISTINCT topic FROM {{schema}}.served_topics WHERE seen_at > now() - make_interval(secs => $withinSeconds)`);
