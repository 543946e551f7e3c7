/**
 * The production driver: a `pg.Pool` for statements and one dedicated `pg.Client` for LISTEN.
 *
 * Every client has an 'error' listener (an idle client losing its connection must not crash the
 * process). The LISTEN client reconnects with capped exponential backoff, re-issues every LISTEN, and
 * tells the engine to poll once, because notifications sent while it was away are gone.
 */
import pg from 'pg';
import type { Driver, QueryResult, Transaction } from '../driver.js';
import { quoteIdentifier } from '../sql-identifier.js';

export interface PostgresDriverOptions {
  /** Options for `pg.Pool` (connectionString, host, user, ...). Ignored when `pool` is given. */
  poolConfig?: pg.PoolConfig;
  /** A pool the application owns. The driver never ends it. */
  pool?: pg.Pool;
}

const RECONNECT_MAX_MS = 10_000;

export class PostgresDriver implements Driver {
  readonly kind = 'postgres' as const;
  readonly concurrentTransactions = true;
  readonly location: string;
  private readonly pool: pg.Pool;
  private readonly ownsPool: boolean;
  private listener: pg.Client | undefined;
  private listenerConnecting: Promise<pg.Client> | undefined;
  private readonly channels = new Map<string, Set<(payload: string) => void>>();
  private readonly reconnectCallbacks: Array<() => void> = [];
  private closed = false;
  private readonly prepare = process.env.HOTMESH_PG_PREPARE !== 'off';

  constructor(private readonly options: PostgresDriverOptions) {
    this.ownsPool = !options.pool;
    // application_name lets an operator (or a fault test) find the engine's sessions in pg_stat_activity
    this.pool = options.pool ?? new pg.Pool({ max: 10, application_name: 'hotmesh', ...options.poolConfig });
    this.pool.on('error', () => {
      // An idle client died (server restart, terminated backend). The pool drops it; the next
      // checkout opens a fresh connection. Nothing else to do.
    });
    this.location = describe(options.poolConfig);
  }

  async query<R>(sql: string, params?: unknown[]): Promise<QueryResult<R>> {
    const res = await this.pool.query(sql, params as unknown[]);
    return { rows: res.rows as R[], rowCount: res.rowCount ?? 0 };
  }

  /**
   * The engine's statements are large CTEs: parsing and planning them cost more than running them
   * (measured: appendResult 0.246 ms to plan vs 0.047 ms to run prepared). So each is prepared once per
   * connection under a name derived from its text. Set HOTMESH_PG_PREPARE=off behind a pooler that
   * cannot keep prepared statements (PgBouncer in transaction mode before 1.21).
   */
  async named<R>(name: string, sql: string, params: unknown[]): Promise<QueryResult<R>> {
    if (!this.prepare) return this.query<R>(sql, params);
    const res = await this.pool.query({ name, text: sql, values: params });
    return { rows: res.rows as R[], rowCount: res.rowCount ?? 0 };
  }

  async exec(script: string): Promise<void> {
    await this.pool.query(script);
  }

  async transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken = false;
    try {
      await client.query('BEGIN');
      const tx: Transaction = {
        async query<R>(sql: string, params?: unknown[]) {
          const res = await client.query(sql, params as unknown[]);
          return { rows: res.rows as R[], rowCount: res.rowCount ?? 0 };
        },
        async exec(script: string) {
          await client.query(script);
        },
      };
      const result = await fn(tx);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      try {
        await client.query('ROLLBACK');
      } catch {
        broken = true;
      }
      throw err;
    } finally {
      client.release(broken);
    }
  }

  async listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>> {
    let set = this.channels.get(channel);
    const first = !set;
    if (!set) {
      set = new Set();
      this.channels.set(channel, set);
    }
    set.add(onPayload);
    const client = await this.listenClient();
    if (first) await client.query(`LISTEN ${quoteIdentifier(channel)}`);
    return async () => {
      set!.delete(onPayload);
      if (set!.size === 0 && this.channels.get(channel) === set) {
        this.channels.delete(channel);
        if (this.listener && !this.closed) await this.listener.query(`UNLISTEN ${quoteIdentifier(channel)}`).catch(() => {});
      }
    };
  }

  onReconnect(callback: () => void): void {
    this.reconnectCallbacks.push(callback);
  }

  private listenClient(): Promise<pg.Client> {
    if (this.listener) return Promise.resolve(this.listener);
    this.listenerConnecting ??= this.connectListener().finally(() => (this.listenerConnecting = undefined));
    return this.listenerConnecting;
  }

  private async connectListener(): Promise<pg.Client> {
    const client = this.options.pool
      ? new pg.Client((this.options.pool as unknown as { options: pg.ClientConfig }).options)
      : new pg.Client({ application_name: 'hotmesh-listen', ...this.options.poolConfig });
    client.on('error', () => this.listenerLost(client));
    client.on('end', () => this.listenerLost(client));
    client.on('notification', (msg) => {
      const set = this.channels.get(msg.channel);
      if (set) for (const cb of set) cb(msg.payload ?? '');
    });
    await client.connect();
    for (const channel of this.channels.keys()) await client.query(`LISTEN ${quoteIdentifier(channel)}`);
    this.listener = client;
    return client;
  }

  private listenerLost(client: pg.Client): void {
    if (this.listener !== client) return;
    this.listener = undefined;
    client.end().catch(() => {});
    if (this.closed || this.channels.size === 0) return;
    void this.reconnectLoop();
  }

  private async reconnectLoop(): Promise<void> {
    for (let delay = 100; !this.closed; delay = Math.min(delay * 2, RECONNECT_MAX_MS)) {
      try {
        await this.listenClient();
        for (const cb of this.reconnectCallbacks) cb();
        return;
      } catch {
        await new Promise((r) => setTimeout(r, delay).unref());
      }
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const listener = this.listener;
    this.listener = undefined;
    await listener?.end().catch(() => {});
    if (this.ownsPool) await this.pool.end();
  }
}

function describe(config: pg.PoolConfig | undefined): string {
  if (!config) return 'postgres (application pool)';
  if (config.connectionString) {
    try {
      const url = new URL(config.connectionString);
      return `postgres://${url.host}${url.pathname}`;
    } catch {
      return 'postgres';
    }
  }
  return `postgres://${config.host ?? 'localhost'}:${config.port ?? 5432}/${config.database ?? ''}`;
}
