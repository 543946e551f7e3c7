/**
 * The production driver: a `pg.Pool` for statements and one dedicated `pg.Client` for LISTEN
 * (listen-connection.ts: it reconnects on its own, and the engine polls once when it is back).
 *
 * Every client has an 'error' listener (an idle client losing its connection must not crash the
 * process).
 *
 * Every statement has a deadline. A connection can go half-open (a failover, a NAT table losing its
 * state): the socket stays up, nothing comes back, and no error ever arrives. Measured before the
 * deadlines (test/fault/half-open-connection.test.ts): the worker's next claim never returned, every
 * later claim waited behind it, a job started afterwards did not run, and shutdown() hung. Now:
 *  - a statement that gets no answer within `query_timeout` fails (a transient error: the run gives
 *    its task back, the claim loop tries again) and its connection is destroyed, together with the
 *    pool's idle connections, which were opened over the same path and are presumed dead too (the
 *    task loop's own statements, claims and heartbeats, have a shorter deadline: task-loop.ts);
 *  - the server cancels a statement itself after `statement_timeout`, set below query_timeout, so on a
 *    live connection a slow statement ends in a clean 57014 and the connection is kept;
 *  - connecting, or waiting for a free pooled client, gives up after `connectionTimeoutMillis`;
 *  - TCP keepalive probes idle connections; the LISTEN connection, idle by nature, is also checked
 *    every `listenCheckMillis` with a statement (a repeated LISTEN) that must answer within the same
 *    time, and replaced if it does not;
 *  - close() waits CLOSE_MS for goodbyes, then destroys whatever did not answer.
 * Migrations (transaction()) and Entity.createIndex may run for minutes: they have no deadline.
 */
import pg from 'pg';
import type { Driver, QueryResult, StatementOptions, Transaction } from '../driver.js';
import { destroy, ListenConnection } from './listen-connection.js';

/** pg's pool options, plus HotMesh's own. */
export interface HotMeshPoolConfig extends pg.PoolConfig {
  /**
   * How often the LISTEN connection is checked (a repeated LISTEN), which must answer within the same
   * time or the connection is replaced (notifications missed meanwhile are made up by one poll).
   * Default 10000.
   */
  listenCheckMillis?: number;
}

/**
 * Defaults for what the user's connection options leave unset (pg's own names; pass any of them in
 * `connection.options` to change it). Why these values:
 * - query_timeout 35 s: the default lease is 30 s; a worker that hears nothing from its database for
 *   longer than a lease has lost its leases anyway, so the connection is presumed dead.
 * - statement_timeout 30 s: 5 s under query_timeout, so on a live connection the server's own cancel
 *   (57014) arrives first and the connection is kept. No statement of the engine comes near it
 *   (claims and journal writes take milliseconds).
 * - connectionTimeoutMillis 10 s: pg's default waits forever for a host that drops packets, and for a
 *   free pooled client when every client is stuck.
 * - keepAlive, first probe after 10 s idle: the OS then probes at its own interval.
 */
export const CONNECTION_DEFAULTS = {
  query_timeout: 35_000,
  statement_timeout: 30_000,
  connectionTimeoutMillis: 10_000,
  keepAlive: true,
  keepAliveInitialDelayMillis: 10_000,
  listenCheckMillis: 10_000,
} as const;

export interface PostgresDriverOptions {
  /** Options for `pg.Pool` (connectionString, host, user, ...). Ignored when `pool` is given. */
  poolConfig?: HotMeshPoolConfig;
  /** A pool the application owns. The driver never ends it; its own settings are kept. */
  pool?: pg.Pool;
}

/** How long close() waits for connections to say goodbye before it destroys them. */
const CLOSE_MS = 1_000;
/** setTimeout's maximum: "no deadline" for pg's per-query query_timeout (0 would fall back to the pool's). */
const NO_DEADLINE_MS = 2 ** 31 - 1;

function isDeadlineMiss(err: unknown): boolean {
  return err instanceof Error && err.message === 'Query read timeout';
}

export class PostgresDriver implements Driver {
  readonly kind = 'postgres' as const;
  readonly concurrentTransactions = true;
  readonly location: string;
  private readonly pool: pg.Pool;
  private readonly ownsPool: boolean;
  private readonly listener: ListenConnection;
  private closed = false;
  private readonly prepare = process.env.HOTMESH_PG_PREPARE !== 'off';
  /** The client-side deadline of one statement (ms). */
  private readonly deadlineMs: number;
  /** Connections of the pool, and which of them are checked out now. */
  private readonly clients = new Set<pg.PoolClient>();
  private readonly inUse = new Set<pg.PoolClient>();
  private readonly connectionErrorCallbacks: ((error: unknown) => void)[] = [];

  constructor(private readonly options: PostgresDriverOptions) {
    this.ownsPool = !options.pool;
    const { listenCheckMillis, ...poolConfig } = options.poolConfig ?? {};
    const { listenCheckMillis: _listenDefault, ...pgDefaults } = CONNECTION_DEFAULTS;
    const config = { ...pgDefaults, ...withoutUndefined(poolConfig) };
    // application_name lets an operator (or a fault test) find the engine's sessions in pg_stat_activity
    this.pool = options.pool ?? new pg.Pool({ max: 10, application_name: 'hotmesh', ...config });
    const owned = (options.pool as unknown as { options?: pg.PoolConfig } | undefined)?.options;
    this.deadlineMs = (owned ? owned.query_timeout : config.query_timeout) || CONNECTION_DEFAULTS.query_timeout;
    // a pg.Client of our own, configured as the application's pool is (or as ours)
    this.listener = new ListenConnection(
      owned ? { ...owned } : { application_name: 'hotmesh-listen', ...config },
      listenCheckMillis ?? CONNECTION_DEFAULTS.listenCheckMillis,
      this.deadlineMs,
    );
    this.pool.on('error', (err) => {
      // An idle client died (server restart, terminated backend). The pool drops it; the next
      // checkout opens a fresh connection. Said to the engine, which logs it.
      this.connectionError(err);
    });
    this.pool.on('connect', (client) => this.clients.add(client));
    this.pool.on('remove', (client) => {
      this.clients.delete(client);
      this.inUse.delete(client);
    });
    this.pool.on('acquire', (client) => this.inUse.add(client));
    this.pool.on('release', (_err, client) => this.inUse.delete(client));
    this.location = describe(options.poolConfig);
  }

  async query<R>(sql: string, params?: unknown[]): Promise<QueryResult<R>> {
    return this.run<R>(undefined, sql, params);
  }

  /** One statement on the pool, under the deadline (the driver's, or a shorter one the caller asks). */
  private async run<R>(name: string | undefined, text: string, values?: unknown[], deadlineMs?: number): Promise<QueryResult<R>> {
    try {
      const query_timeout = deadlineMs !== undefined && deadlineMs < this.deadlineMs ? deadlineMs : this.deadlineMs;
      const res = await this.pool.query({ name, text, values, query_timeout } as pg.QueryConfig);
      return { rows: res.rows as R[], rowCount: res.rowCount ?? 0 };
    } catch (err) {
      // pg-pool has destroyed the connection that missed its deadline; the idle ones were opened over
      // the same path: each would cost a deadline of its own before the pool opened a fresh one.
      // (An application's own pool is left alone: each of its dead connections costs a deadline.)
      if (isDeadlineMiss(err) && this.ownsPool) this.dropIdleConnections();
      throw err;
    }
  }

  private dropIdleConnections(): void {
    for (const client of this.clients) if (!this.inUse.has(client)) destroy(client);
  }

  /**
   * The engine's statements are large CTEs: parsing and planning them cost more than running them
   * (measured: appendResult 0.246 ms to plan vs 0.047 ms to run prepared). So each is prepared once per
   * connection under a name derived from its text. Set HOTMESH_PG_PREPARE=off behind a pooler that
   * cannot keep prepared statements (PgBouncer in transaction mode before 1.21).
   */
  async named<R>(name: string, sql: string, params: unknown[], options?: StatementOptions): Promise<QueryResult<R>> {
    if (options?.noDeadline) return this.transaction((tx) => tx.query<R>(sql, params));
    return this.run<R>(this.prepare ? name : undefined, sql, params, options?.deadlineMs);
  }

  async exec(script: string): Promise<void> {
    await this.run(undefined, script);
  }

  /** A transaction with no deadline (migrations: a schema change may take minutes). */
  async transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken = false;
    // pg-pool takes its 'error' listener off a client while it is checked out: a connection that
    // fails between two statements of this transaction (a terminated backend, a server restart)
    // emitted 'error' with no listener, and an EventEmitter 'error' with no listener ends the process.
    const onError = (err: unknown) => {
      broken = true;
      this.connectionError(err);
    };
    client.on('error', onError);
    const unbounded = (text: string, values?: unknown[]) => client.query({ text, values, query_timeout: NO_DEADLINE_MS } as pg.QueryConfig);
    try {
      await unbounded('BEGIN');
      await unbounded('SET LOCAL statement_timeout = 0');
      const tx: Transaction = {
        async query<R>(sql: string, params?: unknown[]) {
          const res = await unbounded(sql, params as unknown[]);
          return { rows: res.rows as R[], rowCount: res.rowCount ?? 0 };
        },
        async exec(script: string) {
          await unbounded(script);
        },
      };
      const result = await fn(tx);
      await unbounded('COMMIT');
      return result;
    } catch (err) {
      try {
        await client.query({ text: 'ROLLBACK', query_timeout: this.deadlineMs } as pg.QueryConfig);
      } catch {
        broken = true;
      }
      throw err;
    } finally {
      client.removeListener('error', onError);
      client.release(broken);
    }
  }

  onConnectionError(callback: (error: unknown) => void): void {
    this.connectionErrorCallbacks.push(callback);
  }

  private connectionError(err: unknown): void {
    for (const cb of this.connectionErrorCallbacks) cb(err);
  }

  listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>> {
    return this.listener.listen(channel, onPayload);
  }

  onReconnect(callback: () => void): void {
    this.listener.onReconnect(callback);
  }

  onListenerLost(callback: (error?: unknown) => void): void {
    this.listener.onLost(callback);
  }

  /**
   * Close the LISTEN connection and (if ours) the pool: CLOSE_MS for goodbyes, then whatever has not
   * answered is destroyed (a half-open connection never answers; pool.end() would wait forever).
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    let timer: NodeJS.Timeout | undefined;
    const goodbyes = Promise.all([this.listener.close(), this.ownsPool ? this.pool.end().catch(() => {}) : undefined]);
    const inTime = await Promise.race([goodbyes.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), CLOSE_MS)))]);
    clearTimeout(timer);
    if (inTime) return;
    this.listener.destroy();
    if (this.ownsPool) for (const client of this.clients) destroy(client);
  }
}

function withoutUndefined<T extends object>(config: T): Partial<T> {
  return Object.fromEntries(Object.entries(config).filter(([, v]) => v !== undefined)) as Partial<T>;
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
