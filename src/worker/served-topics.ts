/**
 * Which of a loop's topics other processes serve too, learned with each heartbeat from `served_topics`
 * (the statement also records this loop's own row: a start on a topic nobody serves gets a warning).
 * A start on a topic only this process serves need not NOTIFY it (start-job.ts, migration 0047).
 */
import type { Engine } from '../engine/engine.js';
import * as served from '../sql/queries/served-topics.js';
import type { StatementOptions } from '../storage/driver.js';

/** A topic another owner served within this long (s) counts as shared (at least: two leases). */
const SHARED_TOPIC_WINDOW_S = 300;

export class ServedTopics {
  /** Of the loop's topics, those another process served recently; undefined until known. */
  private shared: Set<string> | undefined;

  constructor(
    private readonly engine: Engine,
    private readonly owner: string,
    private readonly leaseSeconds: number,
    private readonly options: StatementOptions,
  ) {}

  /** Record `topics` as served by this loop, and learn which of them others serve. */
  async record(topics: string[]): Promise<void> {
    try {
      const res = await this.engine.query(
        served.recordServedTopics,
        // generous: another process refreshes its row every third of *its* lease, which may be longer;
        // a process that died keeps our starts notifying a while longer, which costs little
        { owner: this.owner, topics, withinSeconds: Math.max(this.leaseSeconds * 2, SHARED_TOPIC_WINDOW_S) },
        this.options,
      );
      this.shared = new Set(res.rows.map((r) => r.topic));
    } catch {
      this.shared = undefined; // unknown: starts NOTIFY, as before
    }
  }

  /** No other process is known to serve `topic` (false while unknown). */
  servedOnlyHere(topic: string): boolean {
    return this.shared !== undefined && !this.shared.has(topic);
  }
}
