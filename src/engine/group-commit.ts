/**
 * Group commit: calls of one statement that arrive while that statement is already in flight wait,
 * and go together in one statement (one round trip, one commit, one socket write) when a lane frees.
 * A call that finds a lane free goes at once, on its own: no call ever waits for company, so a lone
 * caller's latency is unchanged and only a busy engine groups.
 *
 * A group is one transaction. When the database refuses it (an error with an answer: bad data in one
 * item, a deadlock), nothing of it was written, and each item is sent again on its own, so only the
 * item at fault fails. When the answer is lost (the connection dropped, a deadline passed), the group
 * may have committed: every item's caller gets that error, as it would have for its own statement,
 * and handles it as it does today (a start releases a held task, a finish reads the job row).
 */
import { isTransientDbError } from '../storage/transient-error.js';

export interface GroupCommitOptions<I, R> {
  /** Send one item on its own. */
  one(item: I): Promise<R>;
  /** Send several in one statement: the answers, in the items' order. */
  many(items: readonly I[]): Promise<R[]>;
  /** Statements of this kind in flight at once. */
  lanes: number;
  /** Items in one statement at most. */
  maxGroup: number;
}

interface Waiting<I, R> {
  item: I;
  resolve(value: R): void;
  reject(error: unknown): void;
}

export class GroupCommit<I, R> {
  private readonly queue: Waiting<I, R>[] = [];
  private inFlight = 0;
  /** Statements sent and items they carried (the bench's and the tests' view of the grouping). */
  readonly sent = { statements: 0, items: 0 };

  constructor(private readonly options: GroupCommitOptions<I, R>) {}

  submit(item: I): Promise<R> {
    if (this.inFlight < this.options.lanes && this.queue.length === 0) {
      this.inFlight++;
      this.sent.statements++;
      this.sent.items++;
      return this.options.one(item).finally(() => this.laneFreed());
    }
    return new Promise<R>((resolve, reject) => this.queue.push({ item, resolve, reject }));
  }

  private laneFreed(): void {
    this.inFlight--;
    while (this.inFlight < this.options.lanes && this.queue.length > 0) {
      const group = this.queue.splice(0, this.options.maxGroup);
      this.inFlight++;
      this.sent.statements++;
      this.sent.items += group.length;
      void this.send(group).finally(() => this.laneFreed());
    }
  }

  private async send(group: Waiting<I, R>[]): Promise<void> {
    if (group.length === 1) {
      const [w] = group;
      await this.options.one(w!.item).then(w!.resolve, w!.reject);
      return;
    }
    let answers: R[];
    try {
      answers = await this.options.many(group.map((w) => w.item));
    } catch (err) {
      if (isTransientDbError(err) || !hasAnswer(err)) {
        for (const w of group) w.reject(err);
        return;
      }
      // refused as a whole: each on its own, so only the item at fault fails
      await Promise.all(group.map((w) => this.options.one(w.item).then(w.resolve, w.reject)));
      return;
    }
    group.forEach((w, i) => w.resolve(answers[i]!));
  }
}

/** The database answered (an SQLSTATE): the statement was refused and nothing of it committed. */
function hasAnswer(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code);
}
