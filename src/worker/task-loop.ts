/**
 * The only loop in the engine: one per app per process, serving every topic registered on it.
 *
 * Waking: NOTIFY (a hint, milliseconds) plus polling (the truth): a short interval while tasks keep
 * coming, backing off to `maxPollMs` when idle, plus a local timer for the next due time this
 * process knows of (a suspended sleep). Claims use SKIP LOCKED and take only as many tasks as there
 * are free slots. Leases are kept alive by one heartbeat statement for all held tasks; a worker that
 * dies simply stops extending them. A task the heartbeat does not return is lost: its run stops
 * (lease-guard.ts).
 *
 * Shutdown: claiming stops, runs in flight get `shutdownGraceMs` to finish; then the runs still going
 * are stopped and their tasks given back at once (runnable now), so a restarted fleet does not wait
 * out their leases. Nothing waits on a statement past that: a statement hung on a half-open
 * connection has its own deadline (postgres-driver.ts), and the loop does not wait for it.
 */
import { randomUUID } from 'node:crypto';
import { parseDurationMs } from '../duration.js';
import type { Engine, LocalTaker, TakeSlot } from '../engine/engine.js';
import * as tasks from '../sql/queries/tasks.js';
import type { ActivityRegistry } from './activity-registry.js';
import type { ClaimedRow } from './claimed-task.js';
import { parseContextLogRetention } from './context-log-retention.js';
import { type WorkStarted, DEFAULT_CONCURRENCY, type TaskLoopOptions } from './task-loop-options.js';
import { ClaimPacing } from './claim-pacing.js';
import { ClaimTimers } from './claim-timers.js';
import { PendingCount } from './pending-count.js';
import { FailureStreak } from './failure-streak.js';
import { LeaseKeeper } from './lease-keeper.js';
import { LoopMetrics } from './loop-metrics.js';
import { errField, type Logger, SILENT_LOGGER } from '../telemetry/logger.js';
import { ServedTopics } from './served-topics.js';
import { Sweeper } from './sweeper.js';
import { type Registration, runClaimed } from './run-claimed.js';

/**
 * The deadline of the loop's own statements (claims, heartbeats, releases), shorter than the driver's
 * (35 s by default): each takes milliseconds, and a claim stuck on a half-open connection holds up
 * every later claim until it fails. At 10 s, a worker whose connections all went half-open claims
 * again, on a fresh connection, about 10 s later (the driver drops the idle ones with it).
 */
const LOOP_STATEMENT_DEADLINE = { deadlineMs: 10_000 };
/** After the grace, how long shutdown waits for the tasks still held to be given back. */
const RELEASE_MS = 1_000;

export type { TaskLoopOptions } from './task-loop-options.js';
export type { Registration } from './run-claimed.js';

export class TaskLoop implements LocalTaker {
  readonly owner = `${process.pid}-${randomUUID().slice(0, 8)}`;
  private readonly topics = new Map<string, Registration>();
  private readonly leases: LeaseKeeper;
  private readonly running = new Set<Promise<void>>();
  /** Slots reserved for jobs being started held by this loop (reserve()). */
  private reserved = 0;
  /** Reservations not yet dispatched, cancelled or (after stop) given back: stop() waits for them. */
  private readonly takes = new PendingCount();
  private readonly concurrency: number;
  private readonly leaseSeconds: number;
  private readonly shutdownGraceMs: number;
  /** Where this loop logs (the worker's `logger` option, else its runtime's). */
  readonly logger: Logger;
  private readonly onWorkStarted: WorkStarted | undefined;
  /** Claims that keep failing, reported once per streak. */
  private readonly claimFailures: FailureStreak;
  /** Schedule-to-start of the tasks it claims, and the ready-tasks gauge while it runs. */
  private readonly metrics: LoopMetrics;
  /** The idle poll, the retry after a failed claim, and the due timer (claim-timers.ts). */
  private readonly timers: ClaimTimers;
  /** The last claim filled every free slot (or found none free): more may be waiting. */
  private saturated = false;
  /** The last claim that had free slots filled them all: ready tasks may be waiting in the database. */
  private backlog = false;
  private claiming: Promise<void> | undefined;
  /** The last claim took as many tasks as it had free slots. */
  private filled = false;
  private again = false;
  private stopped = false;
  /** When to claim beyond "now": refills, NOTIFYs, next-due queries (claim-pacing.ts). */
  private readonly pacing: ClaimPacing;
  /** Which of this loop's topics other processes serve too (read with each heartbeat). */
  private readonly served: ServedTopics;
  private heartbeat: NodeJS.Timeout | undefined;
  private readonly sweeper: Sweeper;
  private unsubscribe: Array<() => void> = [];

  constructor(
    private readonly engine: Engine,
    /** The runtime's activities: what remote activity tasks and inline calls can run here. */
    private readonly activities: ActivityRegistry,
    options: TaskLoopOptions = {},
  ) {
    this.concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
    this.leaseSeconds = options.leaseSeconds ?? 30;
    const maxPollMs = options.maxPollMs ?? 2000;
    this.logger = options.logger ?? SILENT_LOGGER;
    this.onWorkStarted = options.onWorkStarted;
    this.claimFailures = new FailureStreak(
      (err) => this.logger.error({ topics: this.topicNames(), err: errField(err) }, 'claiming tasks failed; the worker keeps trying'),
      () => this.logger.info({ topics: this.topicNames() }, 'claiming tasks works again'),
    );
    this.metrics = new LoopMetrics(engine, this.logger, () => this.topicNames(), LOOP_STATEMENT_DEADLINE);
    this.leases = new LeaseKeeper(engine, this.owner, this.leaseSeconds, this.logger, LOOP_STATEMENT_DEADLINE);
    this.served = new ServedTopics(engine, this.owner, this.leaseSeconds, LOOP_STATEMENT_DEADLINE);
    this.shutdownGraceMs = options.shutdownGraceMs ?? 5000;
    const retention = options.journalRetention === undefined ? undefined : parseDurationMs(options.journalRetention, 'journalRetention');
    this.sweeper = new Sweeper(engine, this.logger, retention, parseContextLogRetention(options.contextLogRetention, 'contextLogRetention'));
    // shortest polling interval: NOTIFY in-process (PGlite) is never lost, so polling there is rare
    const minPollMs = engine.driver.concurrentTransactions ? 50 : Math.min(1000, maxPollMs);
    this.timers = new ClaimTimers(() => this.kick(), minPollMs, maxPollMs, () => void this.learnNextDue());
    this.pacing = new ClaimPacing(this.concurrency, () => this.kick(), () => void this.learnNextDue());
  }

  get appId(): string {
    return this.engine.appId;
  }

  /** The topics this loop serves. */
  topicNames(): string[] {
    return [...this.topics.keys()];
  }

  register(topic: string, registration: Registration): void {
    this.topics.set(topic, registration);
    void this.recordServed();
    if (this.unsubscribe.length === 0) this.start();
    this.kick();
  }

  private start(): void {
    this.engine.localTaker = this;
    this.unsubscribe.push(this.engine.onTopic((topic) => this.topics.has(topic) && this.pacing.notified()));
    // notifications missed while the LISTEN connection was down: claim now (the runtime logs the trouble)
    this.unsubscribe.push(this.engine.onReconnect(() => this.kick()));
    this.metrics.observe();
    this.heartbeat = setInterval(() => {
      // never an unhandled rejection (it ends the process): a throwing logger or guard callback is logged
      this.leases.extend().catch((err) => this.logger.error({ err: errField(err) }, 'heartbeat failed in the worker'));
      void this.recordServed();
      this.metrics.observe(); // observe on the application's meter provider, if it registered one since
    }, (this.leaseSeconds * 1000) / 3);
    this.heartbeat.unref();
    this.sweeper.start();
    this.timers.start();
  }

  /**
   * A job about to be started in this process on `topic`: a slot for it, if this loop serves the
   * topic and has one free, and its last claim found no backlog (a job started here does not pass
   * the tasks already waiting; a claim made with no slot free tells nothing about that). The start then creates the task held by this loop, which runs it
   * with no claim and no NOTIFY (start-job.ts).
   */
  reserve(topic: string): TakeSlot | undefined {
    if (this.stopped || this.backlog || this.topics.get(topic)?.kind !== 'workflow') return undefined;
    if (this.running.size + this.reserved >= this.concurrency) return undefined;
    this.reserved++;
    this.takes.add();
    let open = true;
    const close = (): boolean => {
      if (!open) return false;
      open = false;
      this.reserved--;
      return true;
    };
    return {
      owner: this.owner,
      leaseSeconds: this.leaseSeconds,
      // Dispatched on the next turn of the event loop, so that start() resolves (and its caller goes
      // on) before the workflow's first line runs, as it did when a claim stood in between.
      take: (row, sentAt) =>
        setImmediate(() => {
          if (!close()) return;
          if (this.stopped) {
            // Fix: this release was not waited for. A job started just before shutdown was given back
            // through a pool already closed, and stayed leased a whole lease (30 s by default).
            void this.giveBack(row).finally(() => this.takes.done());
            return;
          }
          // held at its start: the job was created, became ready and was taken in one statement (the row
          // is this take's own, built by start-job.ts startedRow: completed in place, not copied)
          row.ready_at = row.db_now;
          row.job_created_at ??= row.db_now;
          this.metrics.claimed([row]);
          this.dispatch(row, sentAt);
          this.takes.done();
        }),
      cancel: (after) => {
        if (!close()) return;
        if (after) void after.finally(() => this.takes.done());
        else this.takes.done();
      },
    };
  }

  /** Claim now (coalesced: a claim in progress runs once more when it ends). */
  kick(): void {
    if (this.stopped) return;
    if (this.claiming) {
      this.again = true;
      return;
    }
    this.claiming = this.claimLoop().finally(() => {
      this.claiming = undefined;
      // the claim filled every slot it had: more may be ready, for the slots that freed meanwhile
      if (this.filled && !this.stopped) this.refill();
    });
  }

  /** Ready tasks may be waiting for the slots free now. */
  private refill(): void {
    this.pacing.refill(this.concurrency - this.running.size - this.reserved);
  }

  private async claimLoop(): Promise<void> {
    this.filled = false;
    do {
      this.again = false;
      const free = this.concurrency - this.running.size - this.reserved;
      if (free <= 0) this.saturated = true;
      if (free <= 0 || this.topics.size === 0) break;
      let rows: ClaimedRow[];
      const sentAt = performance.now(); // the lease runs from no earlier than this
      try {
        const res = await this.engine.query(
          tasks.claimTasks,
          { owner: this.owner, leaseSeconds: this.leaseSeconds, topics: [...this.topics.keys()], limit: free },
          LOOP_STATEMENT_DEADLINE,
        );
        rows = res.rows;
      } catch (err) {
        // database unreachable, or no answer within the statement's deadline (a half-open connection:
        // the driver destroyed it): tried again on a fresh connection, soon, since work may be waiting
        // (this claim was asked for), not at an idle poll up to maxPollMs away
        this.claimFailures.fail(err);
        this.timers.failed();
        break;
      }
      this.timers.worked();
      this.claimFailures.ok();
      if (!this.stopped) this.pacing.claimed(rows.length);
      if (rows.length > 0) this.timers.found();
      this.saturated = rows.length === free;
      this.backlog = rows.length === free;
      if (this.stopped) {
        // shutting down: give the tasks back at once rather than run them half-way
        await Promise.all(rows.map((r) => this.giveBack(r)));
        return;
      }
      this.metrics.claimed(rows);
      for (const row of rows) this.dispatch(row, sentAt);
      this.filled = rows.length === free;
    } while (this.again && !this.stopped);
  }

  private dispatch(row: ClaimedRow, claimSentAt: number): void {
    const held = this.leases.hold(row, claimSentAt);
    // the DB clock now, estimated from the claim's
    const dbNow = Number(row.db_now);
    const started = Date.now();
    const now = () => dbNow + (Date.now() - started);
    const work = runClaimed(row, {
      engine: this.engine,
      activities: this.activities,
      logger: this.logger,
      registration: this.topics.get(row.topic),
      guard: held.guard,
      stopping: () => this.stopped,
      release: (delaySeconds) => this.release(row, delaySeconds),
      onSuspended: (runAt) => this.timers.wakeAt(runAt, now()),
      onExpires: (inMs) => this.sweeper.expiresIn(inMs),
      retrySoon: () => this.timers.wakeAt(now() + 1000, now()),
      onWorkStarted: this.onWorkStarted,
    }).finally(() => {
      this.leases.release(held);
      this.running.delete(work);
      // Claim again only if slots ran out; otherwise NOTIFY, local wakes and the due timer already
      // bring what is new (an empty claim here cost ~2 ms per workflow on PGlite).
      if (this.saturated) this.refill();
    });
    this.running.add(work);
  }

  /**
   * Nothing was ready: set the due timer for the next task of this loop's topics, whoever suspended
   * it (another process, or this one before a restart), instead of finding it at the next idle poll.
   */
  private async learnNextDue(): Promise<void> {
    try {
      const res = await this.engine.query(tasks.nextDue, { topics: this.topicNames() }, LOOP_STATEMENT_DEADLINE);
      const row = res.rows[0];
      if (row?.due !== null && row?.due !== undefined && Number.isFinite(Number(row.due))) this.timers.wakeAt(Number(row.due), Number(row.db_now));
    } catch {
      // the poll finds it anyway
    }
  }

  /** Give a task back, runnable after `delaySeconds` (best effort: its lease expires otherwise, which the log says). */
  private release(row: ClaimedRow, delaySeconds: number): Promise<unknown> {
    return this.engine
      .query(tasks.releaseTask, { taskId: row.id, claims: row.claims, delaySeconds }, LOOP_STATEMENT_DEADLINE)
      .catch((err) => this.logger.warn({ jobId: row.job_id, thread: row.thread, err: errField(err) }, 'giving a task back failed; it runs again when its lease ends'));
  }

  /** Give a task back at shutdown, runnable now by another process, which the release wakes. */
  private giveBack(row: ClaimedRow): Promise<unknown> {
    const { channel, origin } = this.engine;
    return this.engine
      .query(tasks.releaseTaskForOthers, { taskId: row.id, claims: row.claims, channel, origin }, LOOP_STATEMENT_DEADLINE)
      .catch((err) => this.logger.warn({ jobId: row.job_id, thread: row.thread, err: errField(err) }, 'giving a task back failed; it runs again when its lease ends'));
  }

  /**
   * Tell the app which topics this loop serves (a start on a topic nobody serves gets a warning), and
   * learn which of them other processes serve too (a start on the others need not NOTIFY them).
   */
  private recordServed(): Promise<void> {
    return this.served.record(this.topicNames());
  }

  expiresIn(ms: number): void {
    this.sweeper.expiresIn(ms);
  }

  servesAlone(topic: string): boolean {
    return !this.stopped && this.topics.has(topic) && this.served.servedOnlyHere(topic);
  }

  /**
   * Stop claiming, give in-flight runs up to `graceMs` (default: the loop's shutdownGraceMs) to
   * finish, then stop the runs still going and give their tasks back, runnable at once.
   */
  async stop(graceMs = this.shutdownGraceMs): Promise<void> {
    this.stopped = true;
    if (this.engine.localTaker === this) this.engine.localTaker = undefined;
    this.timers.stop();
    this.pacing.stop();
    clearInterval(this.heartbeat);
    const sweeping = this.sweeper.stop(); // a round in progress ends before the pool closes
    this.metrics.stop();
    for (const u of this.unsubscribe) u();
    this.unsubscribe = [];
    // A claim in flight gives its rows back when it returns (claimLoop); a claim hung on a dead
    // connection is not waited for past the grace (it used to be: shutdown hung with it).
    // Jobs started held by this loop whose start has not answered yet, or whose task is being given
    // back (reserve()): waited for as runs are, within the grace.
    await within(Promise.allSettled([this.claiming, ...this.running, this.takes.settled(), sweeping]), graceMs);
    // Fix: the tasks of runs that did not finish stayed leased, and a restarted fleet waited out their
    // leases (30 s by default). Their runs stop now (late results are dropped, nothing is written on a
    // closed pool) and the tasks are runnable at once; everything the runs did is journaled.
    const left = this.leases.loseAll();
    // the give-backs of jobs started held here (a start that failed, or answered during the grace) too
    if (left.length > 0 || this.takes.size > 0) await within(Promise.all([...left.map((row) => this.giveBack(row)), this.takes.settled()]), RELEASE_MS);
  }
}

/** Wait for `promise`, but not longer than `ms`. */
async function within(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
