/**
 * The only loop in the engine: one per app per process, serving every topic registered on it.
 *
 * Waking: NOTIFY (a hint, milliseconds) plus polling (the truth): a short interval while tasks keep
 * coming, backing off to `maxPollMs` when idle, plus a local timer for the next due time this
 * process knows of (a suspended sleep). Claims use SKIP LOCKED and take only as many tasks as there
 * are free slots. Leases are kept alive by one heartbeat statement for all held tasks; a worker that
 * dies simply stops extending them.
 */
import { randomUUID } from 'node:crypto';
import type { Engine } from '../engine/engine.js';
import * as jobs from '../sql/queries/jobs.js';
import * as tasks from '../sql/queries/tasks.js';
import { isDeterministicDbError, isTransientDbError } from '../storage/transient-error.js';
import type { ActivityRegistry } from './activity-registry.js';
import { runActivityTask } from './activity-task.js';
import type { ClaimedRow } from './claimed-task.js';
import type { RetryFields } from './retry-policy.js';
import { runThreadTask, type ThreadProgram } from './thread-task.js';

const SWEEP_MS = 15_000;
/** A task whose run could not even record its failure is tried again this much later, not every lease. */
const REFUSED_RETRY_SECONDS = 300;

export interface TaskLoopOptions {
  /** Tasks run at once by this process for this app. Default 16. */
  concurrency?: number;
  /** Lease length in seconds; a dead worker's tasks are taken over after this long. Default 30. */
  leaseSeconds?: number;
  /** Idle polling interval ceiling in ms. Default 2000. */
  maxPollMs?: number;
}

/** What a topic serves: a workflow/hook function, or (`<queue>-activity`) remote activities. */
export type Registration = { kind: 'workflow'; program: ThreadProgram; retry?: RetryFields } | { kind: 'activity'; retry?: RetryFields };

export class TaskLoop {
  readonly owner = `${process.pid}-${randomUUID().slice(0, 8)}`;
  private readonly topics = new Map<string, Registration>();
  private readonly held = new Map<string, number>(); // task id -> claims
  private readonly running = new Set<Promise<void>>();
  private readonly concurrency: number;
  private readonly leaseSeconds: number;
  private readonly maxPollMs: number;
  /** Shortest polling interval: NOTIFY in-process (PGlite) is never lost, so polling there is rare. */
  private readonly minPollMs: number;
  private pollMs: number;
  /** The last claim filled every free slot (or found none free): more may be waiting. */
  private saturated = false;
  private claiming: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private pollTimer: NodeJS.Timeout | undefined;
  private dueTimer: { at: number; timer: NodeJS.Timeout } | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  private unsubscribe: Array<() => void> = [];

  constructor(
    private readonly engine: Engine,
    /** The runtime's activities: what remote activity tasks and inline calls can run here. */
    private readonly activities: ActivityRegistry,
    options: TaskLoopOptions = {},
  ) {
    this.concurrency = options.concurrency ?? 16;
    this.leaseSeconds = options.leaseSeconds ?? 30;
    this.maxPollMs = options.maxPollMs ?? 2000;
    this.minPollMs = engine.driver.concurrentTransactions ? 50 : Math.min(1000, this.maxPollMs);
    this.pollMs = this.minPollMs;
  }

  register(topic: string, registration: Registration): void {
    this.topics.set(topic, registration);
    if (this.unsubscribe.length === 0) this.start();
    this.kick();
  }

  private start(): void {
    this.unsubscribe.push(this.engine.onTopic((topic) => this.topics.has(topic) && this.kick()));
    this.unsubscribe.push(this.engine.onReconnect(() => this.kick()));
    this.heartbeat = setInterval(() => void this.extendLeases(), (this.leaseSeconds * 1000) / 3);
    this.heartbeat.unref();
    // Jobs started with `expire` are deleted once it has passed (records are kept otherwise).
    this.sweeper = setInterval(() => void this.engine.query(jobs.deleteExpiredJobs, {}).catch(() => {}), SWEEP_MS);
    this.sweeper.unref();
    this.schedulePoll();
  }

  /** Claim now (coalesced: a claim in progress runs once more when it ends). */
  kick(): void {
    if (this.stopped) return;
    if (this.claiming) {
      this.again = true;
      return;
    }
    this.claiming = this.claimLoop().finally(() => (this.claiming = undefined));
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
    do {
      this.again = false;
      const free = this.concurrency - this.running.size;
      if (free <= 0) this.saturated = true;
      if (free <= 0 || this.topics.size === 0) break;
      let rows: ClaimedRow[];
      try {
        const res = await this.engine.query(tasks.claimTasks, { owner: this.owner, leaseSeconds: this.leaseSeconds, topics: [...this.topics.keys()], limit: free });
        rows = res.rows;
      } catch {
        break; // database unreachable: the poller tries again
      }
      if (rows.length > 0) {
        this.pollMs = this.minPollMs;
        this.schedulePoll();
      }
      this.saturated = rows.length === free;
      if (this.stopped) {
        // shutting down: give the tasks back at once rather than run them half-way
        await Promise.all(rows.map((r) => this.release(r, 0)));
        return;
      }
      for (const row of rows) this.dispatch(row);
      if (rows.length === free) this.again = true;
    } while (this.again && !this.stopped);
  }

  private dispatch(row: ClaimedRow): void {
    const registration = this.topics.get(row.topic);
    this.held.set(row.id, row.claims);
    const dbNow = Number(row.db_now);
    const started = Date.now();
    const work = (async () => {
      if (registration?.kind === 'activity' && row.kind === 'activity') {
        await runActivityTask(this.engine, row, this.activities, registration.retry);
      } else if (registration?.kind === 'workflow' && row.kind === 'thread') {
        await runThreadTask(row, {
          engine: this.engine,
          program: registration.program,
          workerRetry: registration.retry,
          activities: this.activities,
          onSuspended: (runAt) => this.wakeAt(runAt, dbNow + (Date.now() - started)),
        });
      } else {
        await this.release(row, 1);
      }
    })()
      .catch(async (err) => {
        if (this.stopped) return; // the connection closed under a run at shutdown; its lease will expire
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
        process.stderr.write(`hotmesh: task ${row.id} (${row.topic}) failed in the worker: ${(err as Error).stack ?? err}\n`);
        if (isDeterministicDbError(err)) {
          // The run's closing statement was refused for its data, and so was the 598 failure that
          // replaces it (thread-task.ts, activity-task.ts). Nothing this worker can do: try again in
          // REFUSED_RETRY_SECONDS (data fixed, code deployed) rather than every lease.
          await this.release(row, REFUSED_RETRY_SECONDS);
        }
      })
      .finally(() => {
        this.held.delete(row.id);
        this.running.delete(work);
        // Claim again at once only if slots ran out; otherwise NOTIFY, local wakes and the due
        // timer already bring what is new (an empty claim here cost ~2 ms per workflow on PGlite).
        if (this.saturated) this.kick();
      });
    this.running.add(work);
  }

  /** Give a task back, runnable after `delaySeconds` (best effort: its lease expires otherwise). */
  private release(row: ClaimedRow, delaySeconds: number): Promise<unknown> {
    return this.engine.query(tasks.releaseTask, { taskId: row.id, claims: row.claims, delaySeconds }).catch(() => {});
  }

  private async extendLeases(): Promise<void> {
    if (this.held.size === 0) return;
    const ids = [...this.held.keys()];
    const claims = ids.map((id) => this.held.get(id)!);
    await this.engine.query(tasks.extendLeases, { ids, claims, leaseSeconds: this.leaseSeconds, owner: this.owner }).catch(() => {});
  }

  /** Stop claiming, and give in-flight runs up to `graceMs` to finish. */
  async stop(graceMs = 5000): Promise<void> {
    this.stopped = true;
    clearTimeout(this.pollTimer);
    clearInterval(this.heartbeat);
    clearInterval(this.sweeper);
    if (this.dueTimer) clearTimeout(this.dueTimer.timer);
    for (const u of this.unsubscribe) u();
    this.unsubscribe = [];
    await this.claiming;
    if (this.running.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled(this.running),
        new Promise((r) => {
          timer = setTimeout(r, graceMs);
          timer.unref();
        }),
      ]);
      clearTimeout(timer);
    }
  }
}
