/**
 * What a run knows of its lease. The task loop keeps it up to date: each heartbeat that returns the
 * task confirms the lease until one lease after that heartbeat was sent; a heartbeat that does not
 * return it, or the end of the shutdown grace, loses it.
 *
 * When this process's own clock has passed the last confirmed end (no heartbeat got through for a
 * whole lease: the process was paused, or its event loop blocked, or the database unreachable),
 * another worker may hold the task now. The next check then asks the database first (one heartbeat):
 * still held, the run goes on; not, it stops. So a worker resumed after SIGSTOP, whose last write
 * committed just before the pause, does not start the next activity in a run that another worker has
 * taken over (test/fault/paused-worker.test.ts).
 *
 * A run checks the guard before every durable call and every statement it makes, and stops at once
 * when the lease is lost (ThreadRun.abort). The fence in SQL (`claims`) refuses a stale run's writes
 * anyway; the guard keeps it from starting work nobody will record, and from writing at all once the
 * worker has shut down (its pool may be closed).
 */
import { LeaseLostError } from '../errors.js';
import type { Logger } from '../telemetry/logger.js';

export class LeaseGuard {
  private lostError: LeaseLostError | undefined;
  /** The run is done and its closing statement is out (close()). */
  private closingSent = false;
  private readonly listeners = new Set<(error: LeaseLostError) => void>();

  constructor(
    readonly taskId: string,
    /** performance.now() (ms) until which the lease is confirmed. */
    private until: number,
    /** Send a heartbeat now (coalesced with one in flight); it confirms or loses this lease. */
    private readonly heartbeat: () => Promise<void>,
  ) {}

  /** The lease is confirmed until `until` (performance.now() ms). */
  confirm(until: number): void {
    if (until > this.until) this.until = until;
  }

  /** Another worker may hold the task, or this one is giving it back: stop. */
  lose(): void {
    if (this.lostError) return;
    this.lostError = new LeaseLostError(this.taskId);
    for (const listener of [...this.listeners]) listener(this.lostError);
    this.listeners.clear();
  }

  /**
   * The run is done and sends its closing statement (a finish, a suspension, a give-back), which ends
   * the lease itself: a heartbeat that no longer finds the task is then no news.
   */
  close(): void {
    this.closingSent = true;
  }

  get closing(): boolean {
    return this.closingSent;
  }

  get lost(): boolean {
    return this.lostError !== undefined;
  }

  /**
   * Held, and confirmed until later than now: what holds() answers without asking the database. The
   * hot paths check it first and await holds()/ensure() only when it is false (each await costs a
   * promise, and with AsyncLocalStorage on, its hooks).
   */
  get confirmed(): boolean {
    return this.lostError === undefined && performance.now() < this.until;
  }

  /** True while the lease is held; past its confirmed end, asks the database first. */
  async holds(): Promise<boolean> {
    if (this.lostError) return false;
    if (performance.now() < this.until) return true;
    await this.heartbeat().catch(() => {});
    if (!this.lostError && performance.now() >= this.until) this.lose(); // not confirmed: unreachable, or lost
    return !this.lostError;
  }

  /** Throws LeaseLostError unless the lease is held: call before anything that must not happen without it. */
  async ensure(): Promise<void> {
    if (!(await this.holds())) throw this.lostError!;
  }

  /** Called once, when the lease is lost (at once if it already is). */
  onLost(listener: (error: LeaseLostError) => void): void {
    if (this.lostError) listener(this.lostError);
    else this.listeners.add(listener);
  }
}

/**
 * A run's closing statement matched nothing: the task is no longer this run's, and what the statement
 * carried is dropped (the lease keeper does not warn of a closing run, so this is where it is said).
 */
export function warnClosingMatchedNothing(log: Logger | undefined, statement: string): void {
  log?.warn({ statement }, "lease lost: the task is no longer this run's (its job ended, or another worker took it over)");
}
