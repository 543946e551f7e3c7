/**
 * The leases one task loop holds, and the one heartbeat statement that keeps them all alive
 * (every lease/3). A task the heartbeat returns is confirmed for one lease from when the heartbeat was
 * sent; a task it does not return is lost (another worker claimed it, or its run has just closed it),
 * and its run stops (its LeaseGuard). If the statement fails, nothing is decided: each run's guard
 * goes by its own clock.
 */
import type { Engine } from '../engine/engine.js';
import * as tasks from '../sql/queries/tasks.js';
import { errField, type Logger } from '../telemetry/logger.js';
import type { ClaimedRow } from './claimed-task.js';
import { FailureStreak } from './failure-streak.js';
import { LeaseGuard } from './lease-guard.js';

/** A task held: the row it was claimed as, and what its run knows of the lease. */
export interface Held {
  row: ClaimedRow;
  guard: LeaseGuard;
}

export class LeaseKeeper {
  private readonly held = new Map<string, Held>();
  /** The heartbeat in flight, if any (heartbeats never overlap; an early one joins it). */
  private extending: Promise<void> | undefined;
  private readonly failures: FailureStreak;
  private stopped = false;

  constructor(
    private readonly engine: Engine,
    private readonly owner: string,
    private readonly leaseSeconds: number,
    private readonly logger: Logger,
    /** Options of the heartbeat statement (its deadline). */
    private readonly statementOptions: { deadlineMs: number },
  ) {
    this.failures = new FailureStreak(
      (err) => logger.warn({ held: this.held.size, err: errField(err) }, 'lease heartbeat failed; leases run out unless it gets through'),
      () => logger.info({ held: this.held.size }, 'lease heartbeat works again'),
    );
  }

  /** Hold a task just claimed (the claim was sent at `claimSentAt`, performance.now() ms). */
  hold(row: ClaimedRow, claimSentAt: number): Held {
    const held: Held = { row, guard: new LeaseGuard(row.id, claimSentAt + this.leaseSeconds * 1000, () => this.extend()) };
    this.held.set(row.id, held);
    return held;
  }

  /** The run of `held` ended: it no longer needs its lease kept. */
  release(held: Held): void {
    if (this.held.get(held.row.id) === held) this.held.delete(held.row.id);
  }

  /** Shutdown: no more heartbeats; the runs still holding tasks stop. Returns the tasks they held. */
  loseAll(): ClaimedRow[] {
    this.stopped = true;
    const left = [...this.held.values()];
    for (const h of left) h.guard.lose();
    return left.map((h) => h.row);
  }

  /** One heartbeat for every held task (coalesced: a call while one is in flight joins it). */
  extend(): Promise<void> {
    this.extending ??= this.beat().finally(() => (this.extending = undefined));
    return this.extending;
  }

  private async beat(): Promise<void> {
    const sent = [...this.held.values()].filter((h) => !h.guard.lost);
    if (sent.length === 0 || this.stopped) return;
    const sentAt = performance.now();
    let kept: Set<string>;
    try {
      const res = await this.engine.query(
        tasks.extendLeases,
        { ids: sent.map((h) => h.row.id), claims: sent.map((h) => h.row.claims), leaseSeconds: this.leaseSeconds, owner: this.owner },
        this.statementOptions,
      );
      kept = new Set(res.rows.map((r) => r.id));
    } catch (err) {
      this.failures.fail(err);
      return;
    }
    this.failures.ok();
    for (const h of sent) {
      if (kept.has(h.row.id)) h.guard.confirm(sentAt + this.leaseSeconds * 1000);
      // Fix: a lease the heartbeat did not return used to be ignored, and the stale run went on making
      // calls (inline activities) that another worker was making too. Now its run stops.
      else if (this.held.get(h.row.id) === h) {
        const { row } = h;
        // A run whose closing statement is out may have ended the lease itself (deleted or released
        // the task) before this heartbeat looked: no warning then (a review saw false ones). If another
        // worker took the task instead, the fence refuses that statement, and the run says so.
        if (!h.guard.closing) {
          const { job_id: jobId, thread, workflow_name: workflowName, task_queue: taskQueue, topic, id: taskId } = row;
          this.logger.warn({ jobId, thread, workflowName, taskQueue, topic, taskId }, 'lease lost: another worker holds the task; this run stops');
        }
        h.guard.lose();
      }
    }
  }
}
