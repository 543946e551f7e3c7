/**
 * The embedded driver: PGlite (PostgreSQL compiled to WASM) in this process, through its native API.
 *
 * - Loaded lazily, so production (pg) never loads the WASM.
 * - Result types normalised to match node-postgres: int8 and numeric as strings, bytea as Buffer.
 * - After every statement we yield one macrotask: PGlite resolves from microtasks, and 2000 awaited
 *   queries in a row were measured to starve timers and I/O completely (0 ticks in 639 ms).
 * - One session: transactions are serialised (concurrentTransactions = false). Never call `query`
 *   from inside `transaction`; it deadlocks on PGlite's mutex.
 * - The data directory is locked (see data-dir-lock.ts) and stamped with the PGlite version, because a
 *   directory written by one PGlite major cannot be opened by another.
 */
import fs from 'node:fs';
import path from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { PGlite } from '@electric-sql/pglite';
import type { Driver, QueryResult, Transaction } from '../driver.js';
import { acquireDataDirLock } from './data-dir-lock.js';

/** Must equal the exact version pinned in package.json. */
export const PGLITE_VERSION = '0.5.14';

const OID_INT8 = 20;
const OID_NUMERIC = 1700;
const OID_BYTEA = 17;
const parsers = {
  [OID_INT8]: (x: string) => x,
  [OID_NUMERIC]: (x: string) => x,
  [OID_BYTEA]: (x: string) => Buffer.from(x.startsWith('\\x') ? x.slice(2) : x, 'hex'),
};

function checkVersionStamp(dataDir: string): void {
  const stamp = path.join(dataDir, 'hotmesh-pglite-version');
  const hasCluster = fs.existsSync(path.join(dataDir, 'PG_VERSION'));
  if (fs.existsSync(stamp)) {
    const found = fs.readFileSync(stamp, 'utf8').trim();
    if (found !== PGLITE_VERSION) {
      throw new Error(
        `The embedded data directory ${dataDir} was written by PGlite ${found}; this build uses ${PGLITE_VERSION}. ` +
          `Move the directory aside (or set another dataDir) to start fresh.`,
      );
    }
  } else if (!hasCluster) {
    fs.writeFileSync(stamp, PGLITE_VERSION);
  }
}

export async function openPglite(dataDir: string): Promise<PgliteDriver> {
  const inMemory = dataDir.startsWith('memory://');
  let release = () => {};
  if (!inMemory) {
    release = await acquireDataDirLock(dataDir);
    try {
      checkVersionStamp(dataDir);
    } catch (err) {
      release();
      throw err;
    }
  }
  try {
    const { PGlite } = await import('@electric-sql/pglite');
    const db = await PGlite.create(inMemory ? undefined : dataDir, { parsers });
    return new PgliteDriver(db, inMemory ? 'pglite (in memory)' : `pglite ${path.resolve(dataDir)}`, release);
  } catch (err) {
    release();
    throw err;
  }
}

/** pg's rowCount counts returned rows for SELECT and affected rows for writes; PGlite reports 0 affected rows for a SELECT. */
function wrap<R>(res: { rows: unknown[]; affectedRows?: number }): QueryResult<R> {
  return { rows: res.rows as R[], rowCount: Math.max(res.rows.length, res.affectedRows ?? 0) };
}

export class PgliteDriver implements Driver {
  readonly kind = 'pglite' as const;
  readonly concurrentTransactions = false;
  private closed = false;

  constructor(
    private readonly db: PGlite,
    readonly location: string,
    private readonly releaseLock: () => void,
  ) {}

  query<R>(sql: string, params?: unknown[]): Promise<QueryResult<R>> {
    return this.run<R>(sql, params);
  }

  /**
   * PGlite has no named statements in its API; the text is planned each time. No deadline: the
   * database is in this process, there is no connection to go half-open.
   */
  named<R>(_name: string, sql: string, params: unknown[]): Promise<QueryResult<R>> {
    return this.run<R>(sql, params);
  }

  private async run<R>(sql: string, params?: unknown[]): Promise<QueryResult<R>> {
    try {
      return wrap<R>(await this.db.query(sql, params));
    } finally {
      await yieldToEventLoop();
    }
  }

  async exec(script: string): Promise<void> {
    await this.db.exec(script);
    await yieldToEventLoop();
  }

  async transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    try {
      return await this.db.transaction(async (tx) =>
        fn({
          query: async <R>(sql: string, params?: unknown[]) => wrap<R>(await tx.query(sql, params)),
          exec: async (script: string) => {
            await tx.exec(script);
          },
        }),
      );
    } finally {
      await yieldToEventLoop();
    }
  }

  async listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>> {
    const unsubscribe = await this.db.listen(channel, onPayload);
    return async () => {
      if (!this.closed) await unsubscribe();
    };
  }

  onReconnect(): void {
    // In-process: the "connection" cannot drop.
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.db.close();
    } finally {
      this.releaseLock();
    }
  }
}
