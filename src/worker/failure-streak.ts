/**
 * An operation that keeps failing (claims while the database is down, heartbeats) is reported when
 * it starts failing and then at most once a minute while it lasts, and its recovery once: the log
 * says what is wrong without a line per poll.
 */
export class FailureStreak {
  private failing = false;
  private lastReported = 0;

  constructor(
    private readonly report: (error: unknown) => void,
    private readonly recovered: () => void,
    private readonly everyMs = 60_000,
  ) {}

  fail(error: unknown): void {
    const now = Date.now();
    if (!this.failing || now - this.lastReported >= this.everyMs) {
      this.report(error);
      this.lastReported = now;
    }
    this.failing = true;
  }

  ok(): void {
    if (!this.failing) return;
    this.failing = false;
    this.recovered();
  }
}
