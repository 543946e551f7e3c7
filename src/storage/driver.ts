/**
 * The storage port. The engine talks to the database only through this interface; two drivers sit
 * behind it: `pg` (production PostgreSQL) and PGlite (the embedded default). Both run the same SQL.
 */

export interface QueryResult<R> {
  rows: R[];
  rowCount: number;
}

/** Anything that runs one parameterised statement: a driver, or a transaction handle. */
export interface Queryable {
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryResult<R>>;
}

/** A table the driver vacuumed or analyzed (`error`: the attempt failed). */
export interface MaintenanceEvent {
  schema: string;
  table: string;
  action: 'vacuum' | 'analyze';
  ms: number;
  error?: unknown;
}

/** The handle a transaction callback receives. */
export interface Transaction extends Queryable {
  /** Multi-statement script without parameters (migrations). */
  exec(script: string): Promise<void>;
}

/** How one statement runs. */
export interface StatementOptions {
  /**
   * No deadline: DDL that may legitimately run for minutes (Entity.createIndex on a large table).
   * Every other statement has one (postgres-driver.ts).
   */
  noDeadline?: boolean;
  /** A shorter deadline than the driver's (ms): the task loop's own statements (claims, heartbeats). */
  deadlineMs?: number;
}

export interface Driver extends Queryable {
  /**
   * Run one of the engine's own named statements. `name` identifies its exact text; a driver may
   * prepare it once per connection (pg does; no SQL depends on it).
   */
  named<R = Record<string, unknown>>(name: string, sql: string, params: unknown[], options?: StatementOptions): Promise<QueryResult<R>>;
  readonly kind: 'postgres' | 'pglite';
  /** False on PGlite: one session, so transactions run one after another. */
  readonly concurrentTransactions: boolean;
  /** A human-readable description of where the data lives (for logs). */
  readonly location: string;
  /** Multi-statement script without parameters (migrations). */
  exec(script: string): Promise<void>;
  /** Run `fn` in one transaction; inside it use only the handle it receives. */
  transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T>;
  /** Subscribe to a lower-case channel. Returns the unsubscribe function. */
  listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>>;
  /** Called after the LISTEN connection came back from an outage, so callers can poll once. */
  onReconnect(callback: () => void): void;
  /** Called when the LISTEN connection is lost (a reconnect follows; onReconnect when it succeeds). */
  onListenerLost?(callback: (error?: unknown) => void): void;
  /** Called when a pooled connection fails outside any statement (idle, or checked out between statements). */
  onConnectionError?(callback: (error: unknown) => void): void;
  /**
   * Called after the driver's own upkeep of a table (PGlite: a vacuum or analyze, which no server runs
   * there), or its error. PostgreSQL's own autovacuum needs none. Returns the unsubscribe function.
   */
  onMaintenance?(callback: (event: MaintenanceEvent) => void): () => void;
  close(): Promise<void>;
}
