/**
 * One app on one database, shared by every client and worker of this process that names them: the
 * driver, the schema (migrated once), the bound queries, and the app's NOTIFY channel.
 *
 * The channel carries two kinds of payload: a topic name (a task of that topic became runnable) and
 * `done:<jobId>` (a job finished). Both are hints; pollers make the engine correct without them.
 */
import { randomUUID } from 'node:crypto';
import type { Driver, QueryResult } from '../storage/driver.js';
import { acquireDriver, type DriverTarget } from '../storage/connection.js';
import { migrate } from '../storage/migrate.js';
import { channelForSchema, quoteIdentifier, schemaForApp } from '../storage/sql-identifier.js';
import { type AppSql, bindQueries, type QueryName, statementNames } from './app-sql.js';

type Listener = (payload: string) => void;

export class Engine {
  readonly schema: string;
  /** The schema as SQL text, validated and quoted. */
  readonly sqlSchema: string;
  readonly channel: string;
  readonly sql: AppSql;
  private readonly names: Record<QueryName, string>;
  /** Tags this engine's own NOTIFYs, so it can skip wake-ups it already delivered in-process. */
  readonly instance = randomUUID().slice(0, 8);
  private readonly topicListeners = new Set<(topic: string) => void>();
  private readonly doneListeners = new Map<string, Set<() => void>>();
  private readonly reconnectListeners = new Set<() => void>();
  private unlisten: (() => Promise<void>) | undefined;

  private constructor(
    readonly appId: string,
    readonly driver: Driver,
    readonly target: DriverTarget,
  ) {
    this.schema = schemaForApp(appId);
    this.sqlSchema = quoteIdentifier(this.schema);
    this.channel = channelForSchema(this.schema);
    this.sql = bindQueries(this.schema);
    this.names = statementNames(this.sql);
  }

  private static readonly engines = new Map<string, Promise<Engine>>();

  /** The engine for (target, appId), opened and migrated on first use. */
  static open(target: DriverTarget, appId: string): Promise<Engine> {
    schemaForApp(appId); // validate before anything touches the database
    const key = `${target.key}|${appId}`;
    let engine = Engine.engines.get(key);
    if (!engine) {
      engine = (async () => {
        const driver = await acquireDriver(target);
        await migrate(driver, appId);
        const e = new Engine(appId, driver, target);
        await e.subscribe();
        return e;
      })();
      Engine.engines.set(key, engine);
      engine.catch(() => Engine.engines.delete(key));
    }
    return engine;
  }

  /** Every engine opened in this process. */
  static async all(): Promise<Engine[]> {
    const settled = await Promise.allSettled(Engine.engines.values());
    return settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  }

  static forget(engine: Engine): void {
    Engine.engines.delete(`${engine.target.key}|${engine.appId}`);
  }

  query<R>(name: QueryName, params: unknown[]): Promise<QueryResult<R>> {
    return this.driver.named<R>(this.names[name], this.sql[name], params);
  }

  /** Appended to the topic in this engine's own NOTIFYs (it wakes its own workers in-process). */
  get origin(): string {
    return `@${this.instance}`;
  }

  private async subscribe(): Promise<void> {
    const onPayload: Listener = (payload) => {
      if (payload.startsWith('done:')) {
        const listeners = this.doneListeners.get(payload.slice(5));
        if (listeners) for (const l of [...listeners]) l();
      } else {
        const [topic, origin] = payload.split('@');
        if (origin === this.instance) return; // already delivered in-process by localWake
        for (const l of this.topicListeners) l(topic!);
      }
    };
    this.unlisten = await this.driver.listen(this.channel, onPayload);
    this.driver.onReconnect(() => {
      for (const l of this.reconnectListeners) l();
    });
  }

  onTopic(listener: (topic: string) => void): () => void {
    this.topicListeners.add(listener);
    return () => this.topicListeners.delete(listener);
  }

  onReconnect(listener: () => void): () => void {
    this.reconnectListeners.add(listener);
    return () => this.reconnectListeners.delete(listener);
  }

  /** Wake in-process workers of a topic at once (a start from this process needs no round trip). */
  localWake(topic: string): void {
    for (const l of this.topicListeners) l(topic);
  }

  /** A job finished in this process: tell result() waiters here without waiting for NOTIFY. */
  localDone(jobId: string): void {
    const listeners = this.doneListeners.get(jobId);
    if (listeners) for (const l of [...listeners]) l();
  }

  onDone(jobId: string, listener: () => void): () => void {
    let set = this.doneListeners.get(jobId);
    if (!set) this.doneListeners.set(jobId, (set = new Set()));
    set.add(listener);
    return () => {
      set!.delete(listener);
      if (set!.size === 0) this.doneListeners.delete(jobId);
    };
  }

  async close(): Promise<void> {
    Engine.forget(this);
    await this.unlisten?.().catch(() => {});
  }
}
