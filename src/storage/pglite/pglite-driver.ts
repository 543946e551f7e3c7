/**
 * The embedded driver: PGlite (PostgreSQL compiled to WASM) in this process, through its native API.
 *
 * - Loaded lazily, so production (pg) never loads the WASM.
 * - Result types normalised to match node-postgres: int8 and numeric as strings, bytea as Buffer.
 * - After every statement we yield one macrotask: PGlite resolves from microtasks, and 2000 awaited
 *   queries in a row were measured to starve timers and I/O completely (0 ticks in 639 ms).
 * - One session: transactions are serialised (concurrentTransactions = false). Never call `query`
 *   from inside `transaction`; it deadlocks on PGlite's mutex.
 * - No server runs autovacuum here: the driver vacuums and analyzes its tables itself (autovacuum.ts).
 * - The data directory is locked (see data-dir-lock.ts) and stamped with the PGlite version, because a
 *   directory written by one PGlite major cannot be opened by another.
 */
import fs from 'node:fs';
import path from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { PGlite } from '@electric-sql/pglite';
type PgliteModule = typeof import('@electric-sql/pglite');
import type { Driver, MaintenanceEvent, QueryResult, Transaction } from '../driver.js';
import { Autovacuum } from './autovacuum.js';
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

/**
 * A fresh cluster to start a new database from, instead of running initdb (about 1 s instead of
 * 2.5-4 s here): a file written by `writePgliteTemplate` with this PGlite version. Named by
 * `HOTMESH_PGLITE_TEMPLATE` (a test suite's many databases; test/support/pglite-template.ts).
 */
async function templateOf(file: string): Promise<Blob> {
  let bytes: Buffer;
  try {
    bytes = await fs.promises.readFile(file);
  } catch (err) {
    throw new Error(`HOTMESH_PGLITE_TEMPLATE names ${file}, which cannot be read: ${(err as Error).message}`);
  }
  const stamp = bytes.subarray(0, TEMPLATE_STAMP.length).toString('latin1');
  if (stamp !== TEMPLATE_STAMP) {
    throw new Error(`HOTMESH_PGLITE_TEMPLATE names ${file}, which is not a fresh cluster of PGlite ${PGLITE_VERSION} (write one with writePgliteTemplate)`);
  }
  return new Blob([bytes.subarray(TEMPLATE_STAMP.length)]);
}

/** What a template file starts with: its PGlite version, so a file from another version is refused. */
const TEMPLATE_STAMP = `hotmesh-pglite-template ${PGLITE_VERSION}\n`;

/** Write a fresh in-memory cluster to `file` (written aside, then renamed: readers never see half of it). */
export async function writePgliteTemplate(file: string): Promise<void> {
  const pglite = await import('@electric-sql/pglite');
  const db = await pglite.PGlite.create();
  try {
    const dump = await db.dumpDataDir('none');
    const aside = `${file}.${process.pid}.tmp`;
    await fs.promises.writeFile(aside, Buffer.concat([Buffer.from(TEMPLATE_STAMP, 'latin1'), Buffer.from(await dump.arrayBuffer())]));
    await fs.promises.rename(aside, file);
  } finally {
    await db.close();
  }
}

/** `template`: a file from `writePgliteTemplate`, used when there is no cluster yet (in memory, or a new data directory). */
export async function openPglite(dataDir: string, template?: string): Promise<PgliteDriver> {
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
    const pglite = await import('@electric-sql/pglite');
    const fresh = inMemory || !fs.existsSync(path.join(dataDir, 'PG_VERSION'));
    const loadDataDir = fresh && template ? await templateOf(template) : undefined;
    const db = await pglite.PGlite.create(inMemory ? undefined : dataDir, { parsers, ...(loadDataDir ? { loadDataDir } : {}) });
    return new PgliteDriver(db, inMemory ? 'pglite (in memory)' : `pglite ${path.resolve(dataDir)}`, release, pglite);
  } catch (err) {
    release();
    throw err;
  }
}

/** pg's rowCount counts returned rows for SELECT and affected rows for writes; PGlite reports 0 affected rows for a SELECT. */
function wrap<R>(res: { rows: unknown[]; affectedRows?: number }): QueryResult<R> {
  return { rows: res.rows as R[], rowCount: Math.max(res.rows.length, res.affectedRows ?? 0) };
}

/** Protocol messages as one buffer (one call into PGlite). */
function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export class PgliteDriver implements Driver {
  readonly kind = 'pglite' as const;
  readonly concurrentTransactions = false;
  private closed = false;

  /** Named statements prepared in the session: name → its text and the parameter types PostgreSQL inferred. */
  private readonly prepared = new Map<string, { sql: string; types: number[] }>();
  private readonly maintenanceListeners = new Set<(event: MaintenanceEvent) => void>();
  /** What PostgreSQL's autovacuum would do, which no server does here. */
  readonly autovacuum: Autovacuum;

  constructor(
    private readonly db: PGlite,
    readonly location: string,
    private readonly releaseLock: () => void,
    private readonly pglite: Pick<PgliteModule, 'protocol' | 'parse'>,
  ) {
    this.autovacuum = new Autovacuum(
      { query: (sql) => this.run(sql), exec: (sql) => this.exec(sql) },
      (event) => {
        for (const l of this.maintenanceListeners) {
          try {
            l(event);
          } catch {
            // one listener's failure (its logger's) keeps the event from none of the others
          }
        }
      },
    );
    this.autovacuum.start();
  }

  onMaintenance(listener: (event: MaintenanceEvent) => void): () => void {
    this.maintenanceListeners.add(listener);
    return () => this.maintenanceListeners.delete(listener);
  }

  query<R>(sql: string, params?: unknown[]): Promise<QueryResult<R>> {
    return this.run<R>(sql, params);
  }

  /**
   * A named statement, prepared once in PGlite's one session and then run by name: bind, describe,
   * execute and sync in one protocol message. `db.query` parses and plans the text every time and
   * makes five calls into the WASM module; this is about a quarter of its cost (a 1-row UPDATE:
   * 420 → 100 µs). Values are serialised as `db.query` does (by the parameter types PostgreSQL
   * inferred) and rows parsed by the same parsers. Serialised with `query`, `exec`, `listen` and
   * transactions by PGlite's own locks, taken in `db.query`'s order. Those lock methods and
   * `_checkReady` are PGlite's internals (public in its typings): the version is pinned exactly
   * (PGLITE_VERSION) and test/named-statements.test.ts checks this path against `db.query`.
   * A statement the server forgot, or whose plan can no longer give its result type, is prepared
   * again once. No deadline: the database is in this process, there is no connection to go half-open.
   */
  async named<R>(name: string, sql: string, params: unknown[]): Promise<QueryResult<R>> {
    try {
      await this.db._checkReady();
      const res = await this.db._runExclusiveTransaction(() =>
        this.db._runExclusiveQuery(async () => {
          try {
            return await this.execute(name, sql, params);
          } catch (err) {
            // 26000: no such prepared statement; 0A000: "cached plan must not change result type"
            const code = (err as { code?: unknown }).code;
            if ((code !== '26000' && code !== '0A000') || !this.prepared.has(name)) throw err;
            this.prepared.delete(name);
            await this.db.execProtocol(concat([this.pglite.protocol.serialize.close({ type: 'S', name }), this.pglite.protocol.serialize.sync()]));
            return await this.execute(name, sql, params);
          }
        }),
      );
      return wrap<R>(res);
    } finally {
      await yieldToEventLoop();
    }
  }

  /** Prepare `name` if this session has not, then run it (inside PGlite's locks). */
  private async execute(name: string, sql: string, params: unknown[]) {
    const { serialize } = this.pglite.protocol;
    let statement = this.prepared.get(name);
    if (statement && statement.sql !== sql) throw new Error(`prepared statement ${name} already names another text`);
    if (!statement) {
      const described = await this.db.execProtocol(
        concat([serialize.parse({ name, text: sql, types: [] }), serialize.describe({ type: 'S', name }), serialize.sync()]),
      );
      statement = { sql, types: this.pglite.parse.parseDescribeStatementResults(described.messages) };
      this.prepared.set(name, statement);
    }
    const types = statement.types;
    const values = params.map((value, i) => {
      if (value === null || value === undefined) return null;
      const serializer = this.db.serializers[types[i]!];
      return serializer ? serializer(value) : String(value);
    });
    const ran = await this.db.execProtocol(
      concat([serialize.bind({ statement: name, values }), serialize.describe({ type: 'P' }), serialize.execute({}), serialize.sync()]),
    );
    return this.pglite.parse.parseResults(ran.messages, this.db.parsers)[0]!;
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
      await this.autovacuum.stop(true);
      await this.db.close();
    } finally {
      this.releaseLock();
    }
  }
}
