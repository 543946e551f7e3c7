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
import * as served from '../sql/queries/served-topics.js';
import * as tasks from '../sql/queries/tasks.js';
import { isDeterministicDbError, isTransientDbError } from '../storage/transient-error.js';
import type { ActivityRegistry } from './activity-registry.js';
import { runActivityTask } from './activity-task.js';
import type { ClaimedRow } from './claimed-task.js';
import { type ContextLogRetention, parseContextLogRetention } from './context-log-retention.js';
import { ClaimPacing } from './claim-pacing.js';
import { FailureStreak } from './failure-streak.js';
import { LeaseKeeper } from './lease-keeper.js';
import { LoopMetrics } from './loop-metrics.js';
import { errField, type Logger, SILENT_LOGGER } from '../telemetry/logger.js';
import type { RetryFields } from './retry-policy.js';
import { Sweeper } from './sweeper.js';
import { runThreadTask, type ThreadProgram } from './thread-task.js';

/** A task whose run could not even record its failure is tried again this much later, not every lease. */
const REFUSED_RETRY_SECONDS = 300;
/**
 * The deadline of the loop's own statements (claims, heartbeats, releases), shorter than the driver's
 * (35 s by default): each takes milliseconds, and a claim stuck on a half-open connection holds up
 * every later claim until it fails. At 10 s, a worker whose connections all went half-open claims
 * again, on a fresh connection, about 10 s later (the driver drops the idle ones with it).
 */
const LOOP_STATEMENT_DEADLINE = { deadlineMs: 10_000 };
/** A topic another owner served within this long (s) counts as shared (at least: two leases). */
const SHARED_TOPIC_WINDOW_S = 300;
/**
 * Tasks run at once by default. A run holds its slot while it waits for the database, so slots are
 * cheap; a start that finds a free slot runs at once (held by its starter), one that finds none waits
 * for a claim. 64 as in the field (Temporal's TypeScript worker runs 40 workflow tasks and 100
 * activities at once): 16 left 64 concurrent callers of one process waiting on claims (1-step
 * workflows at 64 in flight, 2 cores: about 2,400/s with 16 slots, 3,900/s with 64).
 */
const DEFAULT_CONCURRENCY = 64;
/** After the grace, how long shutdown waits for the tasks still held to be given back. */
const RELEASE_MS = 1_000;

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

/** What a topic serves: a workflow/hook function, or (`<queue>-activity`) remote activities. */
export type Registration = { kind: 'workflow'; program: ThreadProgram; retry?: RetryFields } | { kind: 'activity'; retry?: RetryFields };

export class TaskLoop implements LocalTaker {
  readonly owner = `${process.pid}-${randomUUID().slice(0, 8)}`;
  private readonly topics = new Map<string, Registration>();
  private readonly leases: LeaseKeeper;
  private readonly running = new Set<Promise<void>>();
  /** Slots reserved for jobs being started held by this loop (reserve()). */
  private reserved = 0;
  private readonly concurrency: number;
  private readonly leaseSeconds: number;
  private readonly shutdownGraceMs: number;
  private readonly maxPollMs: number;
  private readonly logger: Logger;
  /** Claims that keep failing, reported once per streak. */
  private readonly claimFailures: FailureStreak;
  /** Schedule-to-start of the tasks it claims, and the ready-tasks gauge while it runs. */
  private readonly metrics: LoopMetrics;
  /** Shortest polling interval: NOTIFY in-process (PGlite) is never lost, so polling there is rare. */
  private readonly minPollMs: number;
  private pollMs: number;
  /** The last claim filled every free slot (or found none free): more may be waiting. */
  private saturated = false;
  /** The last claim that had free slots filled them all: ready tasks may be waiting in the database. */
  private backlog = false;
  private claiming: Promise<void> | undefined;
  /** The last claim took as many tasks as it had free slots. */
  private filled = false;
  private again = false;
  private stopped = false;
  private pollTimer: NodeJS.Timeout | undefined;
  private dueTimer: { at: number; timer: NodeJS.Timeout } | undefined;
  /** When to claim beyond "now": refills, NOTIFYs, next-due queries (claim-pacing.ts). */
  private readonly pacing: ClaimPacing;
  /**
   * Of this loop's topics, those another process served recently (served_topics, read with each
   * heartbeat); undefined until known. Starts here NOTIFY only those (and the unknown).
   */
  private sharedTopics: Set<string> | undefined;
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
    this.maxPollMs = options.maxPollMs ?? 2000;
    this.logger = options.logger ?? SILENT_LOGGER;
    this.claimFailures = new FailureStreak(
      (err) => this.logger.error({ topics: this.topicNames(), err: errField(err) }, 'claiming tasks failed; the worker keeps trying'),
      () => this.logger.info({ topics: this.topicNames() }, 'claiming tasks works again'),
    );
    this.metrics = new LoopMetrics(engine, this.logger, () => this.topicNames(), LOOP_STATEMENT_DEADLINE);
    this.leases = new LeaseKeeper(engine, this.owner, this.leaseSeconds, this.logger, LOOP_STATEMENT_DEADLINE);
    this.shutdownGraceMs = options.shutdownGraceMs ?? 5000;
    const retention = options.journalRetention === undefined ? undefined : parseDurationMs(options.journalRetention, 'journalRetention');
    this.sweeper = new Sweeper(engine, this.logger, retention, parseContextLogRetention(options.contextLogRetention, 'contextLogRetention'));
    this.minPollMs = engine.driver.concurrentTransactions ? 50 : Math.min(1000, this.maxPollMs);
    this.pollMs = this.minPollMs;
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
    this.unsubscribe.push(
      this.engine.onReconnect(() => {
        this.logger.info({ topics: this.topicNames() }, 'database notifications regained (LISTEN reconnected)');
        this.kick();
      }),
    );
    this.unsubscribe.push(
      this.engine.onListenerLost((error) =>
        this.logger.warn({ topics: this.topicNames(), err: error === undefined ? undefined : errField(error) }, 'database notifications lost (LISTEN connection); reconnecting, polling meanwhile'),
      ),
    );
    this.unsubscribe.push(
      this.engine.onConnectionError((error) =>
        this.logger.warn({ err: errField(error) }, 'database connection lost outside a statement (the pool opens a new one)'),
      ),
    );
    this.metrics.observe();
    this.heartbeat = setInterval(() => {
      // never an unhandled rejection (it ends the process): a throwing logger or guard callback is logged
      this.leases.extend().catch((err) => this.logger.error({ err: errField(err) }, 'heartbeat failed in the worker'));
      void this.recordServed();
      this.metrics.observe(); // observe on the application's meter provider, if it registered one since
    }, (this.leaseSeconds * 1000) / 3);
    this.heartbeat.unref();
    this.sweeper.start();
    this.schedulePoll();
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
          if (this.stopped) void this.release(row, 0);
          else {
            // held at its start: the job was created, became ready and was taken in one statement
            const held = { ...row, ready_at: row.db_now, job_created_at: row.job_created_at ?? row.db_now };
            this.metrics.claimed([held]);
            this.dispatch(held, sentAt);
          }
        }),
      cancel: () => void close(),
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

  private schedulePoll(): void {
    if (this.stopped) return;
    clearTimeout(this.pollTimer);
    this.pollTimer = setTimeout(() => {
      this.pollMs = Math.min(this.pollMs * 2, this.maxPollMs);
      this.kick();
      this.schedulePoll();
    }, this.pollMs); // not unref'd: a process running a worker stays up until shutdown
  }

  /** Wake up when a task this process suspended becomes due (DB-clock ms, estimated locally). */
  private wakeAt(runAtMs: number | null, dbNow: number): void {
    if (runAtMs === null || this.stopped) return;
    const delay = Math.max(0, runAtMs - dbNow) + 5;
    const at = Date.now() + delay;
    if (delay > 2 ** 31 - 1 || (this.dueTimer && this.dueTimer.at <= at)) return;
    if (this.dueTimer) clearTimeout(this.dueTimer.timer);
    const timer = setTimeout(() => {
      this.dueTimer = undefined;
      this.kick();
    }, delay);
    timer.unref();
    this.dueTimer = { at, timer };
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
        // the driver destroyed it): the poller tries again, on a fresh connection
        this.claimFailures.fail(err);
        break;
      }
      this.claimFailures.ok();
      if (!this.stopped) this.pacing.claimed(rows.length);
      if (rows.length > 0) {
        this.pollMs = this.minPollMs;
        this.schedulePoll();
      }
      this.saturated = rows.length === free;
      this.backlog = rows.length === free;
      if (this.stopped) {
        // shutting down: give the tasks back at once rather than run them half-way
        await Promise.all(rows.map((r) => this.release(r, 0)));
        return;
      }
      this.metrics.claimed(rows);
      for (const row of rows) this.dispatch(row, sentAt);
      this.filled = rows.length === free;
    } while (this.again && !this.stopped);
  }

  private dispatch(row: ClaimedRow, claimSentAt: number): void {
    const registration = this.topics.get(row.topic);
    const held = this.leases.hold(row, claimSentAt);
    const { guard } = held;
    const dbNow = Number(row.db_now);
    const started = Date.now();
    const work = (async () => {
      if (registration?.kind === 'activity' && row.kind === 'activity') {
        await runActivityTask(this.engine, row, this.activities, guard, registration.retry, this.logger);
      } else if (registration?.kind === 'workflow' && row.kind === 'thread') {
        await runThreadTask(row, {
          engine: this.engine,
          program: registration.program,
          workerRetry: registration.retry,
          activities: this.activities,
          logger: this.logger,
          onSuspended: (runAt) => this.wakeAt(runAt, dbNow + (Date.now() - started)),
          guard,
        });
      } else {
        // A task of the other kind on a topic this loop serves (a workflow named `activity`, which
        // validation now refuses, served by an older build): said, and tried again much later.
        this.logger.error(
          { jobId: row.job_id, thread: row.thread, topic: row.topic, taskId: row.id, kind: row.kind, served: registration?.kind ?? null },
          `task of kind '${row.kind}' on a topic this worker serves as ${registration?.kind ?? 'nothing'}; given back for ${REFUSED_RETRY_SECONDS} s`,
        );
        await this.release(row, REFUSED_RETRY_SECONDS);
      }
    })()
      .catch(async (err) => {
        // shutting down (the loop gives the task back), or the lease was lost (another worker has it)
        if (this.stopped || guard.lost) return;
        if (isTransientDbError(err)) {
          // Fix: the connection dropped under the statement that ends the run (finishThread,
          // suspendThread, retryThread, finishActivityTask, ...). This used to be logged as a worker
          // failure and the task left leased until its lease ran out (30 s by default) before anyone
          // ran it again. Give it back for a retry soon instead, as an aborted run does: everything the
          // run did is journaled. If the statement committed and only its reply was lost, the release
          // matches nothing (the task was deleted, or released by that statement: see releaseTask).
          await this.release(row, 1);
          const now = dbNow + (Date.now() - started);
          this.wakeAt(now + 1000, now);
          return;
        }
        this.logger.error({ jobId: row.job_id, thread: row.thread, topic: row.topic, taskId: row.id, err: errField(err) }, 'task failed in the worker');
        if (isDeterministicDbError(err)) {
          // The run's closing statement was refused for its data, and so was the 598 failure that
          // replaces it (thread-task.ts, activity-task.ts). Nothing this worker can do: try again in
          // REFUSED_RETRY_SECONDS (data fixed, code deployed) rather than every lease.
          await this.release(row, REFUSED_RETRY_SECONDS);
        }
      })
      .finally(() => {
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
      if (row?.due !== null && row?.due !== undefined && Number.isFinite(Number(row.due))) this.wakeAt(Number(row.due), Number(row.db_now));
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

  /**
   * Tell the app which topics this loop serves (a start on a topic nobody serves gets a warning), and
   * learn which of them other processes serve too (a start on the others need not NOTIFY them).
   */
  private async recordServed(): Promise<void> {
    try {
      const res = await this.engine.query(
        served.recordServedTopics,
        // generous: another process refreshes its row every third of *its* lease, which may be longer;
        // a process that died keeps our starts notifying a while longer, which costs little
        { owner: this.owner, topics: this.topicNames(), withinSeconds: Math.max(this.leaseSeconds * 2, SHARED_TOPIC_WINDOW_S) },
        LOOP_STATEMENT_DEADLINE,
      );
      this.sharedTopics = new Set(res.rows.map((r) => r.topic));
    } catch {
      this.sharedTopics = undefined; // unknown: starts NOTIFY, as before
    }
  }

  servesAlone(topic: string): boolean {
    return !this.stopped && this.topics.has(topic) && this.sharedTopics !== undefined && !this.sharedTopics.has(topic);
  }

  /**
   * Stop claiming, give in-flight runs up to `graceMs` (default: the loop's shutdownGraceMs) to
   * finish, then stop the runs still going and give their tasks back, runnable at once.
   */
  async stop(graceMs = this.shutdownGraceMs): Promise<void> {
    this.stopped = true;
    if (this.engine.localTaker === this) this.engine.localTaker = undefined;
    clearTimeout(this.pollTimer);
    this.pacing.stop();
    clearInterval(this.heartbeat);
    this.sweeper.stop();
    this.metrics.stop();
    if (this.dueTimer) clearTimeout(this.dueTimer.timer);
    for (const u of this.unsubscribe) u();
    this.unsubscribe = [];
    // A claim in flight gives its rows back when it returns (claimLoop); a claim hung on a dead
    // connection is not waited for past the grace (it used to be: shutdown hung with it).
    await within(Promise.allSettled([this.claiming, ...this.running]), graceMs);
    // Fix: the tasks of runs that did not finish stayed leased, and a restarted fleet waited out their
    // leases (30 s by default). Their runs stop now (late results are dropped, nothing is written on a
    // closed pool) and the tasks are runnable at once; everything the runs did is journaled.
    const left = this.leases.loseAll();
    if (left.length > 0) await within(Promise.all(left.map((row) => this.release(row, 0))), RELEASE_MS);
  }
}

/** Wait for `promise`, but not longer than `ms`. */
async function within(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
