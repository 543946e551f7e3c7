/**
 * A start on a topic no worker has served lately is most often a typo in the workflow name or the
 * task queue: the job would wait in silence. After a start, the runtime looks (off the start's path,
 * from a list refreshed at most every few seconds) whether any worker served the topic within the
 * last minute, and if none did, logs a warning naming the topic and the nearest served ones.
 */
import type { Engine } from '../engine/engine.js';
import { recentlyServedTopics } from '../sql/queries/served-topics.js';
import type { Logger } from '../telemetry/logger.js';

const RECENT_SECONDS = 60;
const REFRESH_MS = 5000;

/** Edit distance (insert, delete, substitute), for "did you mean". */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length]!;
}

/** Up to three served topics nearest to `topic`, nearest first. */
export function nearestTopics(topic: string, served: Iterable<string>): string[] {
  return [...served]
    .map((t) => ({ t, d: distance(topic, t) }))
    .filter(({ d }) => d <= Math.max(3, Math.floor(topic.length / 3)))
    .sort((x, y) => x.d - y.d || x.t.localeCompare(y.t))
    .slice(0, 3)
    .map(({ t }) => t);
}

export class UnservedTopics {
  private readonly cache = new Map<Engine, { at: number; topics: Set<string> }>();

  constructor(
    private readonly logger: () => Logger,
    /** Topics this runtime serves itself (never worth a query). */
    private readonly local: (engine: Engine) => Set<string>,
  ) {}

  /** After a start on `topic`: warn (once per start) if no worker served it lately. Never throws. */
  notice(engine: Engine, topic: string, jobId: string): void {
    if (this.local(engine).has(topic)) return;
    void this.served(engine)
      .then((served) => {
        if (served.has(topic)) return;
        const nearest = nearestTopics(topic, served);
        this.logger().warn(
          { appId: engine.appId, jobId, topic, nearestServedTopics: nearest },
          `no worker has served topic '${topic}' in the last ${RECENT_SECONDS} s: the job waits until one does` +
            (nearest.length > 0 ? ` (did you mean ${nearest.map((t) => `'${t}'`).join(' or ')}?)` : ''),
        );
      })
      .catch(() => {});
  }

  private async served(engine: Engine): Promise<Set<string>> {
    const hit = this.cache.get(engine);
    if (hit && Date.now() - hit.at < REFRESH_MS) return hit.topics;
    const res = await engine.query(recentlyServedTopics, { withinSeconds: RECENT_SECONDS });
    const topics = new Set(res.rows.map((r) => r.topic));
    this.cache.set(engine, { at: Date.now(), topics });
    return topics;
  }

  forget(engine: Engine): void {
    this.cache.delete(engine);
  }
}
