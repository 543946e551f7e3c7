/**
 * Ten processes open the same new app at once. On PostgreSQL all come up (the migrations run once,
 * under an advisory lock). On PGlite exactly one gets the data directory and the others get a
 * DataDirLockedError telling them to use PostgreSQL, and the directory is not corrupted.
 */
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { backend, POSTGRES_URL } from '../support/backend.js';
import type { InitConfig } from './init-process.js';
import { killChildren, spawnChild } from './support/child-process.js';
import { Scratch } from './support/scratch.js';

const script = new URL('./init-process.ts', import.meta.url).pathname;
const migrationsDir = new URL('../../src/sql/migrations/', import.meta.url);
/** The migration files the engine ships, in order (e.g. 0001_engine.sql). */
const migrationFiles = () => fs.readdirSync(migrationsDir).filter((f) => f.endsWith('.sql')).sort();

/** One process: its last stdout line once it has exited (`OK "hello <pid>"` or `ERROR <name>: ...`). */
async function run(config: InitConfig): Promise<string> {
  const child = spawnChild(script, config);
  await child.exited;
  return child.lines[child.lines.length - 1] ?? '';
}

describe(`ten processes opening one app at once (${backend})`, () => {
  const scratch = new Scratch();
  const appId = scratch.appId('start');
  const dataDir = scratch.dir('start');
  afterAll(async () => {
    await killChildren();
    await scratch.cleanup();
  });

  it('migrates once and brings every process up (or refuses all but one on PGlite)', async () => {
    const config: InitConfig = { appId, connection: backend === 'postgres' ? { connectionString: POSTGRES_URL } : { dataDir } };
    const results = await Promise.all(Array.from({ length: 10 }, () => run(config)));
    const ok = results.filter((r) => r.startsWith('OK "hello '));
    if (backend === 'postgres') {
      expect(ok).toHaveLength(10);
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
      const migrations = await client.query(
        `SELECT version, name, applied_at FROM hotmesh_registry.migrations WHERE schema_name = $1 ORDER BY version`,
        [appId.replaceAll('-', '_')],
      );
      await client.end();
      // every migration file, no more, no less
      expect(migrations.rows.map((r) => `${String(r.version).padStart(4, '0')}_${r.name}.sql`)).toEqual(migrationFiles());
      // applied once, all in one transaction (now() is the transaction's start): no process applied a second batch
      expect(new Set(migrations.rows.map((r) => (r.applied_at as Date).toISOString())).size).toBe(1);
    } else {
      expect(ok.length).toBeGreaterThanOrEqual(1);
      const refused = results.filter((r) => r.startsWith('ERROR DataDirLockedError') && r.includes('PostgreSQL'));
      expect(ok.length + refused.length).toBe(10);
      // the directory survived: a later process opens it and runs a workflow
      expect(await run(config)).toMatch(/^OK "hello \d+"$/);
    }
  }, 120_000);
});
