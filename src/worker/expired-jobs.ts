/**
 * One round of the retention sweep of expired jobs (migration 0065's sweep_expired_jobs): the due jobs
 * are locked first (SKIP LOCKED: not a job whose hook start is being accepted), then those no hook
 * runs or waits on are deleted, checked with a snapshot taken after the locks.
 */
import type { Engine } from '../engine/engine.js';
import * as jobs from '../sql/queries/jobs.js';

export interface ExpiredJobsRound {
  /** Jobs deleted. */
  deleted: number;
  /** Whether the round took `batch` due jobs: more may be due now. */
  batchFilled: boolean;
  /** When the next job expires, ms from now (null: none known, or the lock was not held). */
  nextInMs: number | null;
  /** Whether this process held the sweep's lock (another process sweeps this round otherwise). */
  held: boolean;
}

export async function deleteExpiredJobs(engine: Engine, lockKey: string, batch: number): Promise<ExpiredJobsRound> {
  const row = (await engine.query(jobs.sweepExpiredJobs, { lockKey, batch })).rows[0];
  if (!row?.held) return { deleted: 0, batchFilled: false, nextInMs: null, held: false };
  return { deleted: row.deleted, batchFilled: row.locked >= batch, nextInMs: row.next_in_ms, held: true };
}
