/**
 * The backends one run measures, in the README's connection forms, and the raw-SQL handle each one
 * uses for its baselines: a plain `pg.Pool` for Postgres, the engine's own PGlite driver (the one
 * in-process PGlite instance) for PGlite.
 */
import pg from 'pg';
import type { Engine } from '../src/engine/engine.js';
import type { ConnectionConfig } from '../src/index.js';
import { quoteIdentifier, REGISTRY_SCHEMA } from '../src/storage/sql-identifier.js';

export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface RawSql {
  /** What the baseline goes through, for the report. */
  readonly via: string;
  query(sql: string, params?: unknown[]): Promise<unknown>;
  close(): Promise<void>;
}

export interface Backend {
  id: 'postgres' | 'pglite';
  label: string;
  connection(): ConnectionConfig;
  openRaw(engine: Engine): Promise<RawSql>;
  /** After MemFlow.shutdown(): drop what the run left behind. */
  cleanup(schema: string, appId: string): Promise<void>;
}

const postgres: Backend = {
  id: 'postgres',
  label: `Postgres (${new URL(DATABASE_URL).host}${new URL(DATABASE_URL).pathname})`,
  connection: () => ({ class: pg.Client, options: { connectionString: DATABASE_URL } }),
  openRaw: async () => {
    const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 1 });
    pool.on('error', () => {});
    return {
      via: 'pg.Pool',
      query: (sql, params) => pool.query(sql, params as unknown[]),
      close: () => pool.end(),
    };
  },
  cleanup: async (schema, appId) => {
    const client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
    try {
      await client.query(`DROP SCHEMA IF EXISTS ${quoteIdentifier(schema)} CASCADE`);
      await client.query(`DELETE FROM ${REGISTRY_SCHEMA}.migrations WHERE schema_name = $1`, [schema]);
      await client.query(`DELETE FROM ${REGISTRY_SCHEMA}.apps WHERE app_id = $1`, [appId]);
    } finally {
      await client.end();
    }
  },
};

const pglite: Backend = {
  id: 'pglite',
  label: 'PGlite (memory://)',
  connection: () => ({ dataDir: 'memory://' }),
  openRaw: async (engine) => ({
    via: 'engine PGlite driver',
    query: (sql, params) => engine.driver.query(sql, params),
    close: async () => {}, // closed by MemFlow.shutdown()
  }),
  cleanup: async () => {}, // in memory: gone with the process
};

export const BACKENDS: Backend[] = [postgres, pglite];
