/**
 * When a task loop claims, beyond "now" (issue 12): three deferred kicks that make one claim (or one
 * next-due query) serve several events, each at most one pending at a time.
 *
 * - Refill: a slot freed while ready tasks were waiting. With a quarter of the slots free, claim now;
 *   with fewer, REFILL_MS later, so that one claim fills the slots of several runs that end together
 *   instead of one claim per run (10,000 timers due at once were a claim, a stamp and a finish each).
 * - NOTIFY: every worker process of a topic hears a start's NOTIFY. While this loop's claims come
 *   back empty (others took the tasks first), it waits a jittered moment, doubling up to
 *   NOTIFY_DELAY_MAX_MS and halving again while claims find work, so that one claim takes the tasks
 *   of several starts instead of each start costing every process a claim (four processes made 7.5
 *   commits per 1-step workflow, mostly empty claims). A loop whose claims find work claims at once.
 * - Next due: after an empty claim, the next due time is asked for at most once per NEXT_DUE_MIN_MS
 *   (a NOTIFY storm made many empty claims, and each asked too).
 */

/** Under a backlog, how long a freed slot may wait for others to free before a claim fills them. */
const REFILL_MS = 2;
/** The longest a NOTIFY waits before it claims, while this loop's claims keep coming back empty. */
const NOTIFY_DELAY_MAX_MS = 8;
/** Empty claims ask for the next due time at most this often. */
const NEXT_DUE_MIN_MS = 200;

export class ClaimPacing {
  private refillTimer: NodeJS.Timeout | undefined;
  private notifyTimer: NodeJS.Timeout | undefined;
  private nextDueTimer: NodeJS.Timeout | undefined;
  private lastNextDueAt = Number.NEGATIVE_INFINITY;
  /** How long a NOTIFY waits before it claims; 0 while claims find work. */
  private notifyDelayMs = 0;

  constructor(
    private readonly concurrency: number,
    /** Claim now (the loop coalesces kicks with a claim in flight). */
    private readonly kick: () => void,
    /** Ask the database for the next due task of the loop's topics. */
    private readonly learnNextDue: () => void,
  ) {}

  /** A slot freed (or a claim filled every slot it had) while ready tasks may be waiting. */
  refill(free: number): void {
    if (free >= Math.max(1, Math.floor(this.concurrency / 4))) {
      clearTimeout(this.refillTimer);
      this.refillTimer = undefined;
      this.kick();
      return;
    }
    this.refillTimer ??= setTimeout(() => {
      this.refillTimer = undefined;
      this.kick();
    }, REFILL_MS);
  }

  /** A NOTIFY said a task of one of the loop's topics became ready. */
  notified(): void {
    if (this.notifyDelayMs === 0) {
      this.kick();
      return;
    }
    this.notifyTimer ??= setTimeout(
      () => {
        this.notifyTimer = undefined;
        this.kick();
      },
      this.notifyDelayMs * (0.5 + Math.random()),
    );
  }

  /** A claim answered `rows` tasks. */
  claimed(rows: number): void {
    // empty: another process was first; finding work: claim at once again
    this.notifyDelayMs = rows === 0 ? Math.min(NOTIFY_DELAY_MAX_MS, Math.max(1, this.notifyDelayMs * 2)) : Math.floor(this.notifyDelayMs / 2);
    if (rows === 0) this.scheduleNextDue();
  }

  private scheduleNextDue(): void {
    if (this.nextDueTimer) return;
    const wait = Math.max(0, this.lastNextDueAt + NEXT_DUE_MIN_MS - performance.now());
    this.nextDueTimer = setTimeout(() => {
      this.nextDueTimer = undefined;
      this.lastNextDueAt = performance.now();
      this.learnNextDue();
    }, wait);
    this.nextDueTimer.unref();
  }

  stop(): void {
    clearTimeout(this.refillTimer);
    clearTimeout(this.notifyTimer);
    clearTimeout(this.nextDueTimer);
  }
}
