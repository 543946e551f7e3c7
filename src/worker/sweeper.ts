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
 */
import type { Engine } from '../engine/engine.js';
import * as context from '../sql/queries/context.js';
import * as jobs from '../sql/queries/jobs.js';
import * as journal from '../sql/queries/journal.js';
import * as signals from '../sql/queries/signals.js';
import { errField, type Logger } from '../telemetry/logger.js';
import type { ContextLogBound } from './context-log-retention.js';
import { FailureStreak } from './failure-streak.js';

const SWEEP_MS = 15_000;
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
  private readonly failures: FailureStreak;

  constructor(
    private readonly engine: Engine,
    private readonly logger: Logger,
    private readonly journalRetentionMs: number | undefined,
    private readonly contextLog?: ContextLogBound,
    private readonly everyMs = SWEEP_MS,
  ) {
    this.failures = new FailureStreak(
      (err) => this.logger.warn({ err: errField(err) }, 'background sweep failed; it runs again next round'),
      () => this.logger.info({}, 'background sweep works again'),
    );
  }

  start(): void {
    this.timer = setInterval(() => void this.sweep(), this.everyMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** One round (also called by tests). */
  async sweep(): Promise<{ expiredJobs: number; compactedThreads: number; prunedContextLogs: number }> {
    const key = (what: string) => `hotmesh-sweep:${this.engine.sqlSchema}:${what}`;
    try {
      const expired = await this.engine.query(jobs.deleteExpiredJobs, { lockKey: key('jobs') });
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
      return { expiredJobs: expired.rows[0]?.deleted ?? 0, compactedThreads, prunedContextLogs };
    } catch (err) {
      this.failures.fail(err);
      return { expiredJobs: 0, compactedThreads: 0, prunedContextLogs: 0 };
    }
  }
}
