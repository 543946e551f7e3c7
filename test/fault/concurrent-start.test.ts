/**
 * Ten processes open the same new app at once. On PostgreSQL all come up (the migrations run once,
 * under an advisory lock). On PGlite exactly one gets the data directory and the others get a
 * DataDirLockedError telling them to use PostgreSQL, and the directory is not corrupted.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { backend, POSTGRES_URL, uniqueAppId } from '../support/backend.js';

const script = new URL('./init-process.ts', import.meta.url).pathname;
const migrationsDir = new URL('../../src/sql/migrations/', import.meta.url);
/** The migration files the engine ships, in order (e.g. 0001_engine.sql). */
const migrationFiles = () => fs.readdirSync(migrationsDir).filter((f) => f.endsWith('.sql')).sort();

function run(appId: string, connection: unknown): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, appId, JSON.stringify(connection)], {
      cwd: path.resolve(path.dirname(script), '../..'),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('exit', () => resolve(out.trim().split('\n').pop() ?? ''));
  });
}

describe(`ten processes opening one app at once (${backend})`, () => {
  const appId = uniqueAppId('start');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hotmesh-start-'));
  afterAll(async () => {
    fs.rmSync(dataDir, { recursive: true, force: true });
    if (backend === 'postgres') {
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${appId.replaceAll('-', '_')} CASCADE`);
      await client.query(`DELETE FROM hotmesh_registry.migrations WHERE schema_name = $1`, [appId.replaceAll('-', '_')]);
      await client.query(`DELETE FROM hotmesh_registry.apps WHERE app_id = $1`, [appId]);
      await client.end();
    }
  });

  it('migrates once and brings every process up (or refuses all but one on PGlite)', async () => {
    const connection = backend === 'postgres' ? { connectionString: POSTGRES_URL } : { dataDir };
    const results = await Promise.all(Array.from({ length: 10 }, () => run(appId, connection)));
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
      expect(await run(appId, connection)).toMatch(/^OK "hello \d+"$/);
    }
  }, 120_000);
});
