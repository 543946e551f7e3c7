/**
 * How a worker's task loop is configured: one loop per app per process (task-loop.ts), set by
 * `Worker.create({ options })` and `MemFlow.init({ worker })`.
 */
import { ValidationError } from '../errors.js';
import { validateOptions } from '../validation.js';
import { parseDurationMs } from '../duration.js';
import { type ContextLogRetention, parseContextLogRetention } from './context-log-retention.js';
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
  /**
   * Idle polling interval ceiling in ms. Default 2000. Polling is the fallback for a NOTIFY lost with
   * its connection and the way timers of other processes are found; it backs off to this when idle.
   */
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
  /**
   * A run started a child job (execChild, startChild) or a hook (on job `jobId`) on `topic`: the
   * runtime warns, a moment later, when no worker has served that topic lately
   * (runtime/unserved-topics.ts), as for a client's start.
   */
  onWorkStarted?: WorkStarted;
}

/** See TaskLoopOptions.onWorkStarted. */
export type WorkStarted = (topic: string, jobId: string, route: { taskQueue: string; workflowName: string }) => void;

/** The tuning options of a task loop, as a user gives them (`MemFlow.init({ worker })`, `Worker.create({ options })`). */
export type LoopTuning = Pick<TaskLoopOptions, 'concurrency' | 'leaseSeconds' | 'maxPollMs' | 'shutdownGraceMs' | 'journalRetention' | 'contextLogRetention'>;

const MAX_CONCURRENCY = 10_000;
const MIN_LEASE_SECONDS = 0.1;
const MAX_LEASE_SECONDS = 86_400;
const MAX_MS = 86_400_000;

function numberIn(field: string, value: unknown, min: number, max: number, rule: string, integer = false): void {
  if (value === undefined) return;
  const ok = typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max && (!integer || Number.isInteger(value));
  if (!ok) throw new ValidationError(field, `${rule} (got ${typeof value === 'string' ? `'${value}'` : typeof value === 'number' ? value : typeof value})`);
}

/**
 * Refuses a loop option that would leave the worker idle or spinning (a concurrency of 0 never claims,
 * a lease of 0 is lost at once), before anything opens. `at`: where the options came from, e.g. 'worker'.
 */
export function validateLoopTuning(at: string, options: LoopTuning | undefined): void {
  if (!options) return;
  numberIn(`${at}.concurrency`, options.concurrency, 1, MAX_CONCURRENCY, `must be a whole number from 1 to ${MAX_CONCURRENCY}`, true);
  // the heartbeat runs every lease/3: a lease under 0.1 s would send one every few ms
  numberIn(`${at}.leaseSeconds`, options.leaseSeconds, MIN_LEASE_SECONDS, MAX_LEASE_SECONDS, `must be a number of seconds from ${MIN_LEASE_SECONDS} to ${MAX_LEASE_SECONDS}`);
  numberIn(`${at}.maxPollMs`, options.maxPollMs, 10, MAX_MS, `must be a number of ms from 10 to ${MAX_MS}`);
  numberIn(`${at}.shutdownGraceMs`, options.shutdownGraceMs, 0, MAX_MS, `must be a number of ms from 0 to ${MAX_MS}`);
  if (options.journalRetention !== undefined) parseDurationMs(options.journalRetention, `${at}.journalRetention`);
  parseContextLogRetention(options.contextLogRetention, `${at}.contextLogRetention`);
}

/** `shutdown({ graceMs })`: the same range as `shutdownGraceMs`, checked before anything stops. */
export function validateShutdownOptions(options: unknown): { graceMs?: number } {
  const valid = validateOptions<{ graceMs: number }>('shutdown options', options, ['graceMs']);
  numberIn('graceMs', valid.graceMs, 0, MAX_MS, `must be a number of ms from 0 to ${MAX_MS}`);
  return valid;
}
