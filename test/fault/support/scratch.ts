/**
 * What a fault test creates and must remove: temp dirs (logs, PGlite data) and apps (on PostgreSQL,
 * a schema plus its registry rows). `cleanup()` in afterAll removes them all.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { schemaForApp } from '../../../src/storage/sql-identifier.js';
import { backend, POSTGRES_URL, uniqueAppId } from '../../support/backend.js';

export class Scratch {
  private readonly dirs: string[] = [];
  private readonly apps: string[] = [];

  /** A new temp dir, removed by cleanup(). */
  dir(prefix: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `hotmesh-${prefix}-`));
    this.dirs.push(dir);
    return dir;
  }

  /** A new app id, whose schema cleanup() drops. */
  appId(prefix: string): string {
    const appId = uniqueAppId(prefix);
    this.apps.push(appId);
    return appId;
  }

  async cleanup(): Promise<void> {
    for (const dir of this.dirs) fs.rmSync(dir, { recursive: true, force: true });
    if (backend !== 'postgres' || this.apps.length === 0) return;
    const db = new pg.Client({ connectionString: POSTGRES_URL });
    await db.connect();
    try {
      for (const appId of this.apps) {
        const schema = schemaForApp(appId);
        await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        await db.query('DELETE FROM hotmesh_registry.migrations WHERE schema_name = $1', [schema]).catch(() => {});
        await db.query('DELETE FROM hotmesh_registry.apps WHERE app_id = $1', [appId]).catch(() => {});
      }
    } finally {
      await db.end();
    }
  }
}
