/**
 * When a task loop claims, besides the NOTIFYs and refills that ask for a claim at once: the idle
 * poll (the truth, should a NOTIFY be lost), the retry after a failed claim, and the due timer of the
 * next suspended task this process knows of.
 *
 * - The poll runs at `minPollMs` while claims find tasks, and doubles on each poll up to `maxPollMs`
 *   while they do not.
 * - A failed claim (a dropped connection, say) is tried again after CLAIM_RETRY_MS, doubling while
 *   claims keep failing, up to `maxPollMs`: work may be waiting, and an idle poll may be seconds away.
 * - The due timer fires when the earliest suspended task it was told of becomes due (DB clock,
 *   estimated locally); a later one does not push it back. When it fires, the loop learns the next
 *   due time (`afterDue`), and the poll runs at DUE_FOLLOW_UP_MS at most for a while (doubling
 *   back): the timer knew only the earliest task, the next due time leaves out a task that came due
 *   meanwhile, and the others waited for an idle poll (a second on PGlite, where 4 sleeps of 1 s
 *   started 7 ms apart woke after 1.04 s, 2.03 s, 2.04 s and 2.04 s).
 */

/** How soon the poll runs after a due timer fired (other tasks suspended about then are due too). */
const DUE_FOLLOW_UP_MS = 50;

/** How soon a claim that failed is tried again, at first. */
const CLAIM_RETRY_MS = 250;

export class ClaimTimers {
  private pollMs: number;
  /** After a failed claim, how soon the next is tried (0 once one works). */
  private claimRetryMs = 0;
  private pollTimer: NodeJS.Timeout | undefined;
  private dueTimer: { at: number; timer: NodeJS.Timeout } | undefined;
  private stopped = false;

  constructor(
    /** Claim now (the loop coalesces claims). */
    private readonly claim: () => void,
    private readonly minPollMs: number,
    private readonly maxPollMs: number,
    /** The due timer fired (its claim asked for): learn the next due time. */
    private readonly afterDue: () => void = () => {},
  ) {
    this.pollMs = minPollMs;
  }

  start(): void {
    this.schedulePoll();
  }

  /** A claim found tasks: more may come soon, so poll at the shortest interval again. */
  found(): void {
    this.pollMs = Math.min(this.pollMs, this.minPollMs); // not longer than a due timer's follow-up
    this.schedulePoll();
  }

  /** A claim was answered (with tasks or without). */
  worked(): void {
    this.claimRetryMs = 0;
  }

  /** A claim failed: the next one comes soon, not at an idle poll up to maxPollMs away. */
  failed(): void {
    this.claimRetryMs = Math.min(this.claimRetryMs === 0 ? CLAIM_RETRY_MS : this.claimRetryMs * 2, this.maxPollMs);
    if (this.pollMs <= this.claimRetryMs) return;
    this.pollMs = this.claimRetryMs;
    this.schedulePoll();
  }

  /** Claim when a task suspended here becomes due (DB-clock ms, estimated locally). */
  wakeAt(runAtMs: number | null, dbNow: number): void {
    if (runAtMs === null || this.stopped) return;
    const delay = Math.max(0, runAtMs - dbNow) + 5;
    const at = Date.now() + delay;
    if (delay > 2 ** 31 - 1 || (this.dueTimer && this.dueTimer.at <= at)) return;
    if (this.dueTimer) clearTimeout(this.dueTimer.timer);
    const timer = setTimeout(() => {
      this.dueTimer = undefined;
      this.claim();
      this.afterDue();
      if (this.pollMs > DUE_FOLLOW_UP_MS) {
        this.pollMs = DUE_FOLLOW_UP_MS;
        this.schedulePoll();
      }
    }, delay);
    timer.unref();
    this.dueTimer = { at, timer };
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.pollTimer);
    if (this.dueTimer) clearTimeout(this.dueTimer.timer);
    this.dueTimer = undefined;
  }

  private schedulePoll(): void {
    if (this.stopped) return;
    clearTimeout(this.pollTimer);
    this.pollTimer = setTimeout(() => {
      this.pollMs = Math.min(this.pollMs * 2, this.maxPollMs);
      this.claim();
      this.schedulePoll();
    }, this.pollMs); // not unref'd: a process running a worker stays up until shutdown
  }
}
