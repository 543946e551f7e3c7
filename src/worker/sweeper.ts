/**
 * What every task loop sweeps in the background, one process per app at a time (each sweep takes a
 * try-lock; one that finds it taken skips the round), in bounded batches so a sweep costs what it
 * deletes, not what the tables hold:
 * - jobs started with `expire`, once it has passed (records are kept otherwise);
 * - buffered signals nobody can consume any more, and old signal idempotency keys;
 * - with `journalRetentionMs`, the journals of threads finished longer ago than that (a summary stays
 *   on the thread; the job's context, its log, result and search fields stay);
 * - with `contextLog`, each job's context log entries older than the policy keeps, in whole
 *   checkpoints (worker/context-log-retention.ts, migration 0049).
 * A sweep that fails is logged (once per streak), never retried sooner than the next round.
 *
 * Rounds come every SWEEP_MS. Between them, expiry-only rounds (the expired-jobs delete alone) come
 * when a job is due to expire: the process that held the expiry lock learns when the next one does,
 * and a finish in this process with `expire` says when its job will (`expiresIn`). With only the
 * fixed round, a job started with `expire: 1` was still readable up to 15 s later.
 */
import type { Engine } from '../engine/engine.js';
import * as context from '../sql/queries/context.js';
import * as journal from '../sql/queries/journal.js';
import * as signals from '../sql/queries/signals.js';
import { errField, type Logger } from '../telemetry/logger.js';
import type { ContextLogBound } from './context-log-retention.js';
import { deleteExpiredJobs } from './expired-jobs.js';
import { FailureStreak } from './failure-streak.js';

const SWEEP_MS = 15_000;
/** The shortest gap between two rounds, however soon the next job expires. */
const MIN_GAP_MS = 250;
/** Past a job's expiry, how long the round waits (the database clock and ours differ a little). */
const EXPIRY_SLACK_MS = 50;
/** Jobs one round takes at most (worker/expired-jobs.ts): a full batch means more are due now. */
const EXPIRED_BATCH = 500;
/** Threads whose journals one round compacts at most. */
const COMPACT_BATCH = 200;
/**
 * Jobs whose context logs one round prunes at most: one statement holds their rows' locks until it
 * commits, so it stays short (the first round after retention is turned on on a big app deletes the
 * most).
 */
const PRUNE_BATCH = 25;

export class Sweeper {
  private timer: NodeJS.Timeout | undefined;
  /** When the timer fires (performance.now() ms). */
  private timerAt = Number.POSITIVE_INFINITY;
  private stopped = true;
  /** The round in progress, if any (stop() waits for it: its statements must not meet a closed pool). */
  private round: Promise<unknown> | undefined;
  /** How long after this round the next expiry is due (learned from the database by sweepExpired()). */
  private nextGapMs: number;
  /** When the last full round began (performance.now() ms): the next comes SWEEP_MS after it. */
  private lastFullAt = performance.now();
  private readonly failures: FailureStreak;

  constructor(
    private readonly engine: Engine,
    private readonly logger: Logger,
    private readonly journalRetentionMs: number | undefined,
    private readonly contextLog?: ContextLogBound,
    private readonly everyMs = SWEEP_MS,
  ) {
    this.nextGapMs = everyMs;
    this.failures = new FailureStreak(
      (err) => this.logger.warn({ err: errField(err) }, 'background sweep failed; it runs again next round'),
      () => this.logger.info({}, 'background sweep works again'),
    );
  }

  start(): void {
    this.stopped = false;
    this.lastFullAt = performance.now();
    this.schedule(this.everyMs);
  }

  /** Stop the rounds; resolves when the round in progress, if any, has ended. */
  stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    return Promise.resolve(this.round).then(() => undefined);
  }

  /** A job finished here expires in `ms`: the round after that comes then, if sooner than planned. */
  expiresIn(ms: number): void {
    // never past the next full round (which comes anyway), nor past setTimeout's range
    if (!this.stopped) this.schedule(Math.min(this.everyMs, Math.max(ms + EXPIRY_SLACK_MS, MIN_GAP_MS)));
  }

  /** The next round in `delayMs`, unless one is planned sooner already. */
  private schedule(delayMs: number): void {
    const at = performance.now() + delayMs;
    if (this.timer && this.timerAt <= at) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Number.POSITIVE_INFINITY;
      // a round still going (a slow statement) is not doubled: the next comes after it
      if (!this.round) {
        const full = performance.now() - this.lastFullAt >= this.everyMs - MIN_GAP_MS;
        if (full) this.lastFullAt = performance.now();
        this.round = (full ? this.sweep() : this.sweepExpired().catch((err: unknown) => this.failed(err))).finally(() => (this.round = undefined));
      }
      void this.round.then(() => {
        if (this.stopped) return;
        const untilFull = this.lastFullAt + this.everyMs - performance.now();
        this.schedule(Math.max(MIN_GAP_MS, Math.min(this.nextGapMs, untilFull)));
      });
    }, delayMs);
    this.timer.unref();
  }

  private key(what: string): string {
    return `hotmesh-sweep:${this.engine.sqlSchema}:${what}`;
  }

  /**
   * Delete the jobs whose expiry passed, and learn when the next is due. Only the process that held
   * the lock follows the expiries (the others would all wake at the same moment to skip the round):
   * the others keep the full rounds' cadence, and take over if it stops.
   */
  private async sweepExpired(): Promise<number> {
    const { deleted, batchFilled, nextInMs, held } = await deleteExpiredJobs(this.engine, this.key('jobs'), EXPIRED_BATCH);
    this.nextGapMs =
      !held ? this.everyMs
      : batchFilled ? MIN_GAP_MS // more are due now
      : nextInMs === null ? this.everyMs
      : Math.min(this.everyMs, Math.max(MIN_GAP_MS, nextInMs + EXPIRY_SLACK_MS));
    return deleted;
  }

  private failed(err: unknown): void {
    this.nextGapMs = this.everyMs;
    this.failures.fail(err);
  }

  /** One full round (also called by tests). */
  async sweep(): Promise<{ expiredJobs: number; compactedThreads: number; prunedContextLogs: number }> {
    const key = (what: string) => this.key(what);
    try {
      const deleted = await this.sweepExpired();
      await this.engine.query(signals.sweepSignals, { keySeconds: signals.SIGNAL_RETENTION_SECONDS, lockKey: key('signals') });
      let compactedThreads = 0;
      if (this.journalRetentionMs !== undefined) {
        const res = await this.engine.query(journal.compactJournals, { olderThanSeconds: this.journalRetentionMs / 1000, batch: COMPACT_BATCH, lockKey: key('journal') });
        compactedThreads = res.rows[0]?.compacted ?? 0;
        if (compactedThreads > 0) this.logger.debug({ threads: compactedThreads, calls: res.rows[0]?.deleted }, 'journals compacted');
      }
      let prunedContextLogs = 0;
      if (this.contextLog) {
        const res = await this.engine.query(context.pruneContextLogs, { ...this.contextLog, batch: PRUNE_BATCH, lockKey: key('context-log') });
        prunedContextLogs = res.rows[0]?.jobs ?? 0;
        if (prunedContextLogs > 0) this.logger.debug({ jobs: prunedContextLogs, entries: Number(res.rows[0]?.entries) }, 'context logs pruned');
      }
      this.failures.ok();
      return { expiredJobs: deleted, compactedThreads, prunedContextLogs };
    } catch (err) {
      this.failed(err);
      return { expiredJobs: 0, compactedThreads: 0, prunedContextLogs: 0 };
    }
  }
}
