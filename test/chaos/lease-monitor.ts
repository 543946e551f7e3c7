/**
 * Watches the task table while the run goes on (every 250 ms): which tasks are leased by a process
 * that is dead (SIGKILLed) or paused (SIGSTOP), and when another worker takes each over.
 *
 * - A task leased by a dead process may stay leased until its lease runs out, never longer: a lease
 *   end later than death + one lease (plus a second of slack for the sampling) is a violation.
 * - Recovery time: from the death (or the pause) until another worker claimed the task, or it ended.
 */
import type pg from 'pg';
import type { WorkerFleet } from './worker-fleet.js';

interface LeasedRow {
  id: string;
  job_id: string;
  lease_owner: string;
  claims: number;
  run_at_ms: number;
}

export interface LeaseViolation {
  jobId: string;
  taskId: string;
  pid: number;
  diedAt: number;
  leaseEnd: number;
}

/** One task held by a process when it died or was paused, and when it was taken over. */
export interface Takeover {
  pid: number;
  jobId: string;
  since: number;
  recoveredAt?: number;
}

export class LeaseMonitor {
  readonly violations: LeaseViolation[] = [];
  /** Keyed by `<task id>:<claims>`. */
  readonly takeovers = new Map<string, Takeover>();
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly db: pg.Pool,
    private readonly schema: string,
    private readonly fleet: WorkerFleet,
    private readonly leaseSeconds: number,
  ) {}

  start(): void {
    const loop = () => {
      if (this.stopped) return;
      this.ticking = this.tick().catch(() => {}); // the server may be restarting
      void this.ticking.then(() => (this.timer = setTimeout(loop, 250)));
    };
    loop();
  }

  private async tick(): Promise<void> {
    const res = await this.db.query<LeasedRow>(
      `SELECT id::text, job_id, lease_owner, claims, (extract(epoch FROM run_at) * 1000)::float8 AS run_at_ms
         FROM ${this.schema}.tasks WHERE lease_owner IS NOT NULL`,
    );
    const now = Date.now();
    const seen = new Set<string>();
    const byPid = new Map(this.fleet.all.map((w) => [w.pid, w]));
    for (const row of res.rows) {
      const worker = byPid.get(Number.parseInt(row.lease_owner, 10));
      if (!worker) continue;
      const since = worker.diedAt ?? (worker.paused ? worker.pausedAt : undefined);
      if (since === undefined) continue;
      const key = `${row.id}:${row.claims}`;
      seen.add(key);
      if (!this.takeovers.has(key)) this.takeovers.set(key, { pid: worker.pid, jobId: row.job_id, since });
      if (worker.diedAt !== undefined && row.run_at_ms > worker.diedAt + this.leaseSeconds * 1000 + 1000) {
        if (!this.violations.some((v) => v.taskId === row.id && v.pid === worker.pid)) {
          this.violations.push({ jobId: row.job_id, taskId: row.id, pid: worker.pid, diedAt: worker.diedAt, leaseEnd: row.run_at_ms });
        }
      }
    }
    for (const [key, takeover] of this.takeovers) if (takeover.recoveredAt === undefined && !seen.has(key)) takeover.recoveredAt = now;
  }

  /** The longest time a task of `pid` waited to be taken over (undefined: it held none we saw). */
  maxRecoveryMs(pid: number): number | undefined {
    let max: number | undefined;
    for (const t of this.takeovers.values()) {
      if (t.pid !== pid) continue;
      const ms = (t.recoveredAt ?? Date.now()) - t.since;
      max = Math.max(max ?? 0, ms);
    }
    return max;
  }

  /** Tasks of `pid` never taken over (still leased by it when the monitor stopped). */
  unrecovered(pid: number): Takeover[] {
    return [...this.takeovers.values()].filter((t) => t.pid === pid && t.recoveredAt === undefined);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.ticking;
  }
}
