/**
 * From what the user passed as `connection` to a shared, open Driver.
 *
 * Accepted forms (all documented in the README):
 *   - nothing, `{}`, or the README form whose `options.connectionString` is undefined with no other
 *     option set  → the embedded PGlite database (data directory `dataDir`, `HOTMESH_DATA_DIR`, or
 *     `./.hotmesh`; `memory://` keeps it in memory);
 *   - `{ class: Postgres, options: { connectionString | host | ... } }` (README / established form);
 *   - `{ connectionString }` or any `pg.PoolConfig`, or a connection-string string;
 *   - `{ pool }` or a `pg.Pool` the application owns;
 *   - the long form `{ store, stream, sub, ... }`: the `store` entry is used.
 * One driver per target per process (an embedded data directory admits one opener per process), shared
 * by reference count among the runtimes that use it: the last to release it closes it.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type pg from 'pg';
import { ValidationError } from '../errors.js';
import type { Driver } from './driver.js';

export interface EmbeddedConnection {
  /** PGlite data directory. Default: `HOTMESH_DATA_DIR`, else `./.hotmesh`. `memory://` for in-memory. */
  dataDir?: string;
}

export type ConnectionConfig =
  | string
  | EmbeddedConnection
  | pg.PoolConfig
  | pg.Pool
  | { pool: pg.Pool }
  | { class?: unknown; options?: Record<string, unknown>; provider?: string; readonly?: boolean }
  | { store: ConnectionConfig; stream?: ConnectionConfig; sub?: ConnectionConfig };

export interface DriverTarget {
  key: string;
  embedded: boolean;
  /** Where the setting came from, for errors and logs: 'connection', 'DATABASE_URL', 'pool', 'dataDir', 'default'. */
  source: string;
  /** What is being opened, for errors and logs: host:port/database, or the data directory. Never a password. */
  where: string;
  /** `announce` false: the embedded default opens without its stderr notice (a silent logger). */
  open(options?: { announce?: boolean }): Promise<Driver>;
}

function isPool(value: unknown): value is pg.Pool {
  const v = value as Record<string, unknown> | null;
  return !!v && typeof v.connect === 'function' && typeof v.query === 'function' && 'totalCount' in v;
}

function definedKeys(options: Record<string, unknown> | undefined): string[] {
  return Object.entries(options ?? {})
    .filter(([, v]) => v !== undefined)
    .map(([k]) => k);
}

/** Where an application-owned pool keeps the key that identifies it as a target. */
const POOL_KEY = Symbol.for('hotmesh.poolKey');

function embedded(dataDir: string | undefined, env: Record<string, string | undefined> = process.env, announce = true): DriverTarget {
  const explicit = dataDir !== undefined;
  if (dataDir === '') throw new ValidationError('dataDir', 'must not be empty (it would name the working directory)');
  // an empty HOTMESH_DATA_DIR is unset (it named the working directory itself, which then filled with the database's files)
  const dir = dataDir ?? (env.HOTMESH_DATA_DIR || '.hotmesh');
  const resolved = dir.startsWith('memory://') ? dir : path.resolve(dir);
  return {
    key: `pglite:${resolved}`,
    embedded: true,
    source: explicit ? 'dataDir' : env.HOTMESH_DATA_DIR ? 'HOTMESH_DATA_DIR' : 'default',
    where: resolved,
    open: async (options = {}) => {
      const { openPglite } = await import('./pglite/pglite-driver.js');
      // HOTMESH_PGLITE_TEMPLATE: a database with no cluster yet starts from that one (pglite-driver.ts)
      const driver = await openPglite(resolved, env.HOTMESH_PGLITE_TEMPLATE || undefined);
      // said when nothing chose the database (README: "With DATABASE_URL unset ... HotMesh says once");
      // a data directory named in code or on the command line chose it: its errors stay one line
      if (!explicit && announce && options.announce !== false) {
        process.stderr.write(
          `hotmesh: no database connection configured; using the embedded PGlite database at ${resolved} ` +
            `(one process only; configure a PostgreSQL connection to run several)\n`,
        );
      }
      return driver;
    },
  };
}

/** host:port/database of a pool config, without credentials. */
function describePostgres(c: pg.PoolConfig): string {
  let host = c.host ?? process.env.PGHOST ?? 'localhost';
  let port: string | number = c.port ?? process.env.PGPORT ?? 5432;
  let database = c.database ?? process.env.PGDATABASE ?? '';
  if (c.connectionString) {
    try {
      const url = new URL(c.connectionString);
      host = url.hostname || host;
      port = url.port || port;
      database = decodeURIComponent(url.pathname.replace(/^\//, '')) || database;
    } catch {
      return 'an unparsable connection string';
    }
  }
  return `${host}:${port}/${database}`;
}

function postgres(poolConfig: pg.PoolConfig, source = 'connection'): DriverTarget {
  return {
    key: `postgres:${JSON.stringify(poolConfig, Object.keys(poolConfig).sort())}`,
    embedded: false,
    source,
    where: describePostgres(poolConfig),
    open: async () => {
      const { PostgresDriver } = await import('./postgres/postgres-driver.js');
      return new PostgresDriver({ poolConfig });
    },
  };
}

function ownedPool(pool: pg.Pool): DriverTarget {
  const tagged = pool as pg.Pool & { [POOL_KEY]?: string };
  if (!tagged[POOL_KEY]) Object.defineProperty(tagged, POOL_KEY, { value: `pool-${randomUUID()}` });
  const id = tagged[POOL_KEY]!;
  return {
    key: `postgres:${id}`,
    embedded: false,
    source: 'pool',
    where: 'the application\'s pg.Pool',
    open: async () => {
      const { PostgresDriver } = await import('./postgres/postgres-driver.js');
      return new PostgresDriver({ pool });
    },
  };
}

/**
 * `connection` as given, or, when none is configured (nothing, `{}`, or the README form with no option
 * set) and no `dataDir` either, the DATABASE_URL environment variable, else the embedded database.
 * `announce` false: the embedded default opens without its stderr notice (the CLI, whose errors are
 * one line, and whose `--data-dir`, HOTMESH_DATA_DIR and `./.hotmesh` are documented choices).
 */
export function resolveTarget(connection: unknown, dataDir?: string, env: Record<string, string | undefined> = process.env, announce = true): DriverTarget {
  const target = resolveConfigured(connection, dataDir, env, announce);
  // nothing configured: DATABASE_URL comes before HOTMESH_DATA_DIR (README, Databases)
  if (target.embedded && (target.source === 'default' || target.source === 'HOTMESH_DATA_DIR') && env.DATABASE_URL) {
    if (!/^postgres(ql)?:\/\//.test(env.DATABASE_URL)) throw new ValidationError('DATABASE_URL', 'must be a postgres:// URL');
    return postgres({ connectionString: env.DATABASE_URL }, 'DATABASE_URL');
  }
  return target;
}

function resolveConfigured(connection: unknown, dataDir: string | undefined, env: Record<string, string | undefined>, announce = true): DriverTarget {
  if (connection === undefined || connection === null) return embedded(dataDir, env, announce);
  if (typeof connection === 'string') {
    if (connection.startsWith('memory://')) return embedded(connection);
    if (!/^postgres(ql)?:\/\//.test(connection)) {
      throw new ValidationError('connection', 'a string connection must be a postgres:// URL or memory://');
    }
    return postgres({ connectionString: connection });
  }
  if (typeof connection !== 'object') throw new ValidationError('connection', 'must be an object or a connection string');
  if (isPool(connection)) return ownedPool(connection);
  const c = connection as Record<string, unknown>;
  if (isPool(c.pool)) return ownedPool(c.pool);
  if ('store' in c) return resolveConfigured(c.store, dataDir, env, announce);
  if ('class' in c || 'options' in c) {
    const options = (c.options ?? {}) as Record<string, unknown>;
    if (typeof options !== 'object') throw new ValidationError('connection.options', 'must be an object');
    if (isPool(options)) return ownedPool(options);
    if (definedKeys(options).length === 0) return embedded(dataDir, env, announce);
    return postgres(Object.fromEntries(definedKeys(options).map((k) => [k, options[k]])) as pg.PoolConfig);
  }
  if (typeof c.dataDir === 'string') return embedded(c.dataDir);
  const keys = definedKeys(c).filter((k) => k !== 'dataDir');
  if (keys.length === 0) return embedded(dataDir, env, announce);
  return postgres(Object.fromEntries(keys.map((k) => [k, c[k]])) as pg.PoolConfig);
}

/** The open drivers of this process, by target key, with how many holders each has. */
const open = new Map<string, { driver: Promise<Driver>; holders: number }>();

/** A hold on a shared driver: `release()` once; the last release closes it. */
export interface DriverHold {
  readonly driver: Driver;
  /** This hold opened the driver (the others share it): what is said once per database is said here. */
  readonly opened: boolean;
  release(): Promise<void>;
}

/** Open (or share) the driver of `target` (`announce`: as DriverTarget.open takes it). */
export async function holdDriver(target: DriverTarget, options?: { announce?: boolean }): Promise<DriverHold> {
  let entry = open.get(target.key);
  const opened = !entry;
  if (!entry) {
    const opening = { driver: target.open(options), holders: 0 };
    open.set(target.key, opening);
    opening.driver.catch(() => open.get(target.key) === opening && open.delete(target.key));
    entry = opening;
  }
  entry.holders++;
  let driver: Driver;
  try {
    driver = await entry.driver;
  } catch (err) {
    entry.holders--;
    throw err;
  }
  const held = entry;
  let released = false;
  return {
    driver,
    opened,
    release: async () => {
      if (released) return;
      released = true;
      if (--held.holders > 0 || open.get(target.key) !== held) return;
      open.delete(target.key);
      await driver.close();
    },
  };
}

/** The targets of the drivers open (or opening) in this process. */
export function openDriverKeys(): string[] {
  return [...open.keys()];
}

/** Close every driver of the process, held or not (MemFlow.shutdown(), after every runtime stopped). */
export async function closeAllDrivers(): Promise<void> {
  const all = [...open.values()];
  open.clear();
  await Promise.all(all.map(async (e) => (await e.driver.catch(() => undefined))?.close()));
}
