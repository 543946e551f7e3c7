/**
 * Where the calls of one thread run execute: the claimed task's lease, the thread's identity, the
 * database clock, and the one statement that journals a result. Every executor in this folder
 * receives it; each call is one fenced statement, so its effect and its journal row commit together.
 */
import type { Engine } from '../../engine/engine.js';
import { LeaseLostError, type StoredFailure } from '../../errors.js';
import { encodeJson } from '../../json-value.js';
import { asStored } from '../../stored-json.js';
import type { CallKind, IssuedCall, IssuedCallOf } from '../../replay/durable-call.js';
import type { ExecutionInfo } from '../../replay/execution-info.js';
import type { CallOutcome, JournalEntry } from '../../replay/journal-entry.js';
import type { QueryResult } from '../../storage/driver.js';
import type { CallPositionParams, Query, ThreadLeaseParams } from '../../sql/define-query.js';
import * as journal from '../../sql/queries/journal.js';
import type { ActivityRegistry } from '../activity-registry.js';
import type { HeldTask } from '../claimed-task.js';
import type { Logger } from '../../telemetry/logger.js';
import type { LeaseGuard } from '../lease-guard.js';
import { type HeldChild, HeldChildren } from './held-children.js';
import type { RetryFields } from '../retry-policy.js';
import type { Context } from '@opentelemetry/api';
import type { WorkStarted } from '../task-loop-options.js';

/** A result journaled in memory, written with the run's next statement (see CallSite.journal). */
export interface PendingResult {
  seq: number;
  kind: string;
  name: string;
  status: 'done' | 'failed';
  /** The result as JSON text (NULL: undefined). */
  result: string | null;
  attempt: number;
  batch: number;
}

/**
 * How long a result may wait in memory for the run's next statement. A run that goes on to its next
 * call or its end takes microseconds; one that awaits something else (a non-durable promise) gets its
 * results written after this.
 */
const DEFER_MS = 20;

/** Results that completed outside the run and timers due in memory, delivered in `batch` (journal.stampDelivered). */
export interface PendingStamp {
  batch: number;
  seqs: number[];
  /** JSON values (null: none). */
  timers: Array<{ seq: number; name: string; value: unknown }>;
}

export class CallSite {
  private readonly claimedAt = performance.now();
  /** Results not written yet, oldest first. */
  private pending: PendingResult[] = [];
  /** Deliveries not stamped yet, oldest first. */
  private stamps: PendingStamp[] = [];
  /** The write of earlier pending results, in flight: statements after it wait for it. */
  private flushing: Promise<void> = Promise.resolve();
  /** Writes of pending results not known to have succeeded (one that failed stays counted). */
  private unsettledWrites = 0;
  /** Calls of this run executing now (ThreadPort.execute). */
  private executing = 0;
  /** Writes pending results that the run did not pick up within DEFER_MS. */
  private deferTimer: NodeJS.Timeout | undefined;
  /** The last work queued by inCallOrder (settled: nothing waits). */
  private ordered: Promise<unknown> = Promise.resolve();
  /** Children this run started with startChild, held until its next statement commits (held-children.ts). */
  private readonly heldChildren: HeldChildren;
  /** Told of each child job this run creates (the runtime warns when its topic is not served). */
  onWorkStarted: WorkStarted | undefined;

  constructor(
    readonly engine: Engine,
    readonly task: HeldTask,
    readonly info: ExecutionInfo,
    /** The thread function's arguments (a hook started by execHook finds its reply target there). */
    readonly threadArgs: readonly unknown[],
    private readonly dbNowAtClaim: number,
    readonly workerRetry: RetryFields | undefined,
    readonly activities: ActivityRegistry,
    /** Entries carry the app, job, thread, workflow and task queue already. */
    readonly log: Logger,
    /** The lease as the task loop knows it: checked before every statement a call makes. */
    readonly guard: LeaseGuard,
    /** The run's span (the spans of the calls it executes are its children); undefined: not traced. */
    readonly traceContext?: Context,
  ) {
    this.heldChildren = new HeldChildren(engine, log);
  }

  /**
   * Run one of the call's statements, if the lease is still held. A stale run (its lease lost, or the
   * worker shut down) writes nothing, not even a refused write: its pool may be closed.
   */
  async query<P extends object, R>(query: Query<P, R>, params: P): Promise<QueryResult<R>> {
    if (!this.guard.confirmed) await this.guard.ensure();
    if (this.mustFlush) await this.flush();
    return this.heldChildren.after(() => this.engine.query(query, params));
  }

  /** A child this run started with startChild: runnable once the run's next statement committed (held-children.ts). */
  holdChild(child: HeldChild): void {
    this.heldChildren.add(child);
  }

  /** Release the children held now: the run runs an inline activity, or ends. */
  releaseHeldChildren(): void {
    this.heldChildren.releaseNow();
  }

  /**
   * Run `work` once the work earlier calls of this run queued here has settled, so calls made in one
   * wave (a `Promise.all`) take effect in the order the function made them: the executors start in
   * seq order, and this chain keeps that order where the database would not (on PostgreSQL each
   * statement may go out on another pooled connection).
   */
  inCallOrder<T>(work: () => Promise<T>): Promise<T> {
    const run = this.ordered.then(work, work);
    this.ordered = run.catch(() => {});
    return run;
  }

  /**
   * Whether flush() has anything to do: results or stamps to write, or a write not known to have
   * succeeded (a failed one is awaited again, so the run's next statement sees its error).
   */
  get mustFlush(): boolean {
    return this.hasPending || this.unsettledWrites > 0;
  }

  /** Results or stamps not handed to a write yet. */
  private get hasPending(): boolean {
    return this.pending.length > 0 || this.stamps.length > 0;
  }

  /**
   * Write the pending results (one statement, fenced), and wait for a write already in flight. Every
   * statement of the run goes after it, so the journal keeps the order the run made its calls in.
   */
  async flush(): Promise<void> {
    if (this.hasPending) {
      const { entries, stamps } = this.takePending();
      this.unsettledWrites++;
      this.flushing = this.flushing.then(async () => {
        for (const stamp of stamps) await this.writeStamp(stamp);
        if (entries.length > 0) await this.write(entries);
        this.unsettledWrites--;
      });
    }
    await this.flushing;
  }

  /**
   * Record a delivery (ThreadPort.stamp) with the run's next statement, as a result is: until then a
   * crash delivers the same results again, in a batch of the next run's own.
   */
  deferStamp(stamp: PendingStamp): void {
    this.stamps.push(stamp);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    this.deferTimer ??= setTimeout(() => {
      this.deferTimer = undefined;
      // a lost write aborts the run at its next statement, which waits for this one
      if (!this.guard.lost) void this.flush().catch(() => {});
    }, DEFER_MS);
  }

  private async writeStamp(stamp: PendingStamp): Promise<void> {
    const { task } = this;
    const res = await this.engine.query(journal.stampDelivered, {
      taskId: task.taskId,
      claims: task.claims,
      jobId: task.jobId,
      thread: task.thread,
      seqs: stamp.seqs,
      timers: JSON.stringify(stamp.timers),
      batch: stamp.batch,
    });
    if (res.rows[0]!.held === 0) this.leaseLost();
  }

  /** A write of pending results in flight (the defer timer's): the statement that ends the run waits for it. */
  async settled(): Promise<void> {
    await this.flushing;
  }

  /** The pending results and stamps, handed to the statement that ends the run (finishThread writes them). */
  takePending(): { entries: PendingResult[]; stamps: PendingStamp[] } {
    clearTimeout(this.deferTimer);
    this.deferTimer = undefined;
    const taken = { entries: this.pending, stamps: this.stamps };
    this.pending = [];
    this.stamps = [];
    return taken;
  }

  private async write(entries: PendingResult[]): Promise<void> {
    // field by field, not spread: docs/design-decisions.md, "No object spread on the hot path"
    const { taskId, claims, jobId, thread } = this.task;
    if (entries.length === 1) {
      const [e] = entries as [PendingResult];
      const res = await this.engine.query(journal.appendResult, {
        taskId,
        claims,
        jobId,
        thread,
        seq: e.seq,
        kind: e.kind,
        name: e.name,
        status: e.status,
        result: e.result,
        attempt: e.attempt,
        batch: e.batch,
      });
      if (res.rowCount === 0) this.leaseLost();
      return;
    }
    const res = await this.engine.query(journal.appendResults, { taskId, claims, jobId, thread, entries: JSON.stringify(entries) });
    if (res.rows[0]!.appended !== entries.length) this.leaseLost();
  }

  /** The database clock, estimated (epoch ms). */
  now(): number {
    return this.dbNowAtClaim + (performance.now() - this.claimedAt);
  }

  /** The lease parameters every fenced statement takes. */
  lease(): ThreadLeaseParams {
    return { taskId: this.task.taskId, claims: this.task.claims, jobId: this.task.jobId, thread: this.task.thread };
  }

  /** The lease plus the call's position (its seq and delivery batch). */
  at(call: IssuedCall, batch: number): CallPositionParams {
    const { task } = this;
    return { taskId: task.taskId, claims: task.claims, jobId: task.jobId, thread: task.thread, seq: call.seq, batch };
  }

  /** Another worker holds the task now: stop writing, abort the run. */
  leaseLost(): never {
    throw new LeaseLostError(this.task.taskId);
  }

  /**
   * Journal a result computed here (`json` when the caller already encoded it). It is written with the
   * run's next statement: a result that changed nothing outside the run (an inline activity's,
   * a refused call's) may as well commit with what follows it. A run that ends right after its last
   * step so writes that step and its end in one statement (issue 12). Until then it is not committed:
   * a crash runs the step again, as a crash before its own commit would have. A write refused by the
   * fence (the lease was lost, or the seq already has a result) aborts the run at that statement.
   */
  async journal(call: IssuedCall, batch: number, outcome: CallOutcome, attempt = 1, json?: string | null): Promise<CallOutcome> {
    if (outcome.type === 'blocked') return outcome;
    if (!this.guard.confirmed) await this.guard.ensure();
    const result = outcome.type === 'done' ? (json !== undefined ? json : encodeJson('result', outcome.value)) : JSON.stringify(outcome.error);
    this.pending.push({ seq: call.seq, kind: call.kind, name: call.name, status: outcome.type === 'done' ? 'done' : 'failed', result, attempt, batch });
    // the workflow gets what a replay will read, not what the call returned (stored-json.ts)
    outcome = outcome.type === 'done' ? { type: 'done', value: asStored(result) } : { type: 'failed', error: asStored(result) as StoredFailure };
    // Another call of the run is still executing (a long activity beside this one): a crash during it
    // must not run this step again, so write now. So does a run that does not come back to us soon (it
    // awaits something that is not a durable call): the window stays one of milliseconds.
    if (this.executing > 1) await this.flush();
    else this.scheduleFlush();
    return outcome;
  }

  /** Around each call's execution (ThreadPort.execute): how many run at once. */
  async executingCall<T>(execute: () => Promise<T>): Promise<T> {
    this.executing++;
    try {
      return await execute();
    } finally {
      this.executing--;
    }
  }
}

/**
 * How one kind of call executes on new ground (or, for an activity in backoff, its next attempt).
 * `batch()` answers the delivery batch its result journals into: ask right before the statement that
 * writes it (an inline activity may outlast the batch it began in).
 */
export type Executor<K extends CallKind> = (
  site: CallSite,
  call: IssuedCallOf<K>,
  batch: () => number,
  previous: JournalEntry | undefined,
) => Promise<CallOutcome>;
