/**
 * How a worker's task loop is configured: one loop per app per process (task-loop.ts), set by
 * `Worker.create({ options })` and `MemFlow.init({ worker })`.
 */
import type { ContextLogRetention } from './context-log-retention.js';
import type { Logger } from '../telemetry/logger.js';

/**
 * Tasks run at once by default. A run holds its slot while it waits for the database, so slots are
 * cheap; a start that finds a free slot runs at once (held by its starter), one that finds none waits
 * for a claim. 64 as in the field (Temporal's TypeScript worker runs 40 workflow tasks and 100
 * activities at once): 16 left 64 concurrent callers of one process waiting on claims (1-step
 * workflows at 64 in flight, 2 cores: about 2,400/s with 16 slots, 3,900/s with 64).
 */
export const DEFAULT_CONCURRENCY = 64;

export interface TaskLoopOptions {
  /** Tasks run at once by this process for this app. Default 64. */
  concurrency?: number;
  /** Lease length in seconds; a dead worker's tasks are taken over after this long. Default 30. */
  leaseSeconds?: number;
  /** Idle polling interval ceiling in ms. Default 2000. */
  maxPollMs?: number;
  /**
   * At shutdown, how long runs in flight get to finish (ms). Default 5000. Runs still going then are
   * stopped and their tasks given back at once; shutdown returns at most about a second later.
   */
  shutdownGraceMs?: number;
  /**
   * Compact the journals of threads finished longer ago than this (`'30 days'`, or ms): their
   * durable-call results are deleted and a summary (calls per kind) stays on the thread; the job's
   * context, context log, result, error and search fields stay. A compacted thread can no longer be
   * replayed (resumed, retried or forked). Default: never (records are permanent).
   */
  journalRetention?: string | number;
  /**
   * Keep each job's context log for at least `{ versions: N }` versions or `{ period: '30 days' }`;
   * older entries are deleted in whole checkpoints, and time travel before them is refused
   * (worker/context-log-retention.ts). Default: the whole log (records are permanent).
   */
  contextLogRetention?: ContextLogRetention;
  /** Where the loop and the runs it dispatches log. Default: nowhere. */
  logger?: Logger;
}

