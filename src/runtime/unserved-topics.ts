/**
 * A start on a topic no worker has served lately is most often a typo in the workflow name or the
 * task queue: the job would wait in silence. A start on a topic this runtime serves, or that the
 * app's served list (refreshed at most every few seconds) shows served, costs nothing more. Any other
 * start is looked at again a moment later (half a second), off the start's path, with the starts of that moment in
 * one query: a topic no worker served within the last minute then gets a warning per start, naming
 * the nearest served topics. Fix: the served list was trusted for "not served" too, so for five
 * seconds after a worker started in another process (or another runtime) every start on its topic
 * warned (1,469 false warnings in one bench run); only a list read after the start is.
 */
import type { Engine } from '../engine/engine.js';
import { recentlyServedTopics } from '../sql/queries/served-topics.js';
import { errField, type Logger } from '../telemetry/logger.js';

const RECENT_SECONDS = 60;
const REFRESH_MS = 5000;
/**
 * A start not known served is looked at this long after it: a worker process starting at that moment
 * has recorded its topic by then (its first statement).
 */
const SETTLE_MS = 500;
/** Of one topic's starts in one look, this many get a warning each; the rest, one warning together. */
const MAX_WARNINGS = 10;

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

/** What one engine's starts are waiting on: the served list, and the starts not yet looked at. */
interface EngineState {
  served?: { at: number; topics: Set<string> };
  /**
   * By topic, the starts to look at (the first MAX_WARNINGS of each: the job id, and where its client
   * asked its warnings to go, undefined for the runtime's logger), and how many in all.
   */
  pending: Map<string, { starts: number; first: Array<{ jobId: string; logger?: Logger; route?: { taskQueue: string; workflowName: string } }> }>;
  timer?: ReturnType<typeof setTimeout>;
}

export class UnservedTopics {
  private readonly states = new Map<Engine, EngineState>();

  constructor(
    private readonly logger: () => Logger,
    /** Topics this runtime serves itself (never worth a query). */
    private readonly local: (engine: Engine) => Set<string>,
  ) {}

  /**
   * After a start on `topic`: warn, a moment later, if no worker served it lately (to `logger`, the
   * starting client's own, else the runtime's). Never throws.
   */
  notice(engine: Engine, topic: string, jobId: string, logger?: Logger, route?: { taskQueue: string; workflowName: string }): void {
    if (this.local(engine).has(topic)) return;
    let state = this.states.get(engine);
    if (!state) this.states.set(engine, (state = { pending: new Map() }));
    const served = state.served;
    if (served && Date.now() - served.at < REFRESH_MS && served.topics.has(topic)) return;
    const waiting = state.pending.get(topic) ?? { starts: 0, first: [] };
    state.pending.set(topic, waiting);
    waiting.starts++;
    if (waiting.first.length < MAX_WARNINGS) waiting.first.push({ jobId, logger, route });
    if (!state.timer) {
      const at = state;
      state.timer = setTimeout(() => void this.check(engine, at).catch(() => {}), SETTLE_MS);
      state.timer.unref?.();
    }
  }

  /**
   * Read the served list once, and warn for each waiting start whose topic is not on it. Rejects only
   * when the application's logger throws (callers drop that: a log line must not end the process).
   */
  private async check(engine: Engine, state: EngineState): Promise<void> {
    if (state.timer) clearTimeout(state.timer);
    state.timer = undefined;
    const pending = state.pending;
    state.pending = new Map();
    let topics: Set<string>;
    try {
      const res = await engine.query(recentlyServedTopics, { withinSeconds: RECENT_SECONDS });
      topics = new Set(res.rows.map((r) => r.topic));
    } catch (err) {
      // the engine closed meanwhile, or the database is unreachable (which its callers hear of)
      if (this.states.get(engine) === state) this.logger().debug({ appId: engine.appId, err: errField(err) }, 'could not read the served topics');
      return;
    }
    state.served = { at: Date.now(), topics };
    const local = this.local(engine);
    for (const [topic, { starts, first }] of pending) {
      if (topics.has(topic) || local.has(topic)) continue;
      const nearest = nearestTopics(topic, topics);
      const message =
        `no worker has served topic '${topic}' in the last ${RECENT_SECONDS} s: the job waits until one does` +
        (nearest.length > 0 ? ` (did you mean ${nearest.map((t) => `'${t}'`).join(' or ')}?)` : '');
      for (const { jobId, logger, route } of first) {
        (logger ?? this.logger()).warn({ appId: engine.appId, jobId, ...route, topic, nearestServedTopics: nearest }, message);
      }
      if (starts > first.length) {
        // the rest together, to the logger of the last start named (one line, wherever it goes)
        (first[first.length - 1]!.logger ?? this.logger()).warn(
          { appId: engine.appId, topic, starts: starts - first.length, nearestServedTopics: nearest },
          `and ${starts - first.length} more starts on topic '${topic}' no worker has served in the last ${RECENT_SECONDS} s`,
        );
      }
    }
  }

  /**
   * The engine is closing: look at its waiting starts now (a client that starts a job and shuts down
   * at once still hears about a typo), then forget it. Never throws.
   */
  async forget(engine: Engine): Promise<void> {
    const state = this.states.get(engine);
    if (state?.timer) await this.check(engine, state).catch(() => {});
    this.states.delete(engine);
  }
}
