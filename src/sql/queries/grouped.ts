/**
 * The engine's grouped writes in one statement (group commit, engine/write-lane.ts): starts and
 * finishes that queue behind a statement in flight go together, so both share one round trip and one
 * commit. Each part is the grouped statement of its kind (jobs.startJobs, threads.finishThreads); the
 * answer is each row as JSON (a start's, the columns startJobs answers), tagged with its kind ('s' or
 * 'f') and carrying its item's `idx`.
 */
import { defineQuery } from '../define-query.js';

export const startsAndFinishes = defineQuery<{ starts: string; finishes: string }, { k: 's' | 'f'; r: Record<string, unknown> & { idx: number } }>(/* sql */ `
SELECT 's' AS k, jsonb_build_object('idx', s.idx, 'id', s.id, 'claims', s.claims, 'args', s.args, 'job_options', s.job_options,
                                    'db_now', s.db_now) AS r
  FROM {{schema}}.start_jobs_held($starts::jsonb) s
UNION ALL
SELECT 'f' AS k, to_jsonb(f) AS r FROM {{schema}}.finish_threads_journaled($finishes::jsonb) f`);
