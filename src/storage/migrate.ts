/**
 * Numbered migrations (src/sql/migrations/NNNN_name.sql), applied once per app, in one transaction,
 * under one advisory lock, and recorded in hotmesh_registry.migrations. Ten processes starting at
 * once all come up: the first applies, the others wait on the lock and find nothing left to do.
 * The same transaction registers appId → schema (UNIQUE on schema), so two app ids can never share one.
 */
import fs from 'node:fs';
import { AppSchemaConflictError } from '../errors.js';
import type { Driver } from './driver.js';
import { bindSchema, quoteIdentifier, REGISTRY_SCHEMA, schemaForApp } from './sql-identifier.js';

const MIGRATIONS_DIR = new URL('../sql/migrations/', import.meta.url);
const MIGRATION_LOCK = 7_361_001; // arbitrary constant shared by every HotMesh process

interface Migration {
  version: number;
  name: string;
  sql: string;
}

let cached: Migration[] | undefined;
export function loadMigrations(): Migration[] {
  cached ??= fs
    .readdirSync(MIGRATIONS_DIR)
    .filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((file) => ({
      version: Number.parseInt(file.slice(0, 4), 10),
      name: file.slice(5, -4),
      sql: fs.readFileSync(new URL(file, MIGRATIONS_DIR), 'utf8'),
    }));
  return cached;
}

const registry = quoteIdentifier(REGISTRY_SCHEMA);

export async function migrate(driver: Driver, appId: string): Promise<string> {
  const schema = schemaForApp(appId);
  const migrations = loadMigrations();
  await driver.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await tx.query(`CREATE SCHEMA IF NOT EXISTS ${registry}`);
    await tx.query(
      `CREATE TABLE IF NOT EXISTS ${registry}.apps (
         app_id text PRIMARY KEY, schema_name text NOT NULL UNIQUE, created_at timestamptz NOT NULL DEFAULT now())`,
    );
    await tx.query(
      `CREATE TABLE IF NOT EXISTS ${registry}.migrations (
         schema_name text NOT NULL, version int NOT NULL, name text NOT NULL,
         applied_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (schema_name, version))`,
    );
    const owner = await tx.query<{ app_id: string }>(`SELECT app_id FROM ${registry}.apps WHERE schema_name = $1`, [schema]);
    if (owner.rows[0] && owner.rows[0].app_id !== appId) throw new AppSchemaConflictError(appId, schema, owner.rows[0].app_id);
    if (!owner.rows[0]) {
      await tx.query(`INSERT INTO ${registry}.apps (app_id, schema_name) VALUES ($1, $2)`, [appId, schema]);
      await tx.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(schema)}`);
    }
    const applied = await tx.query<{ version: number }>(`SELECT version FROM ${registry}.migrations WHERE schema_name = $1`, [schema]);
    const done = new Set(applied.rows.map((r) => Number(r.version)));
    for (const m of migrations) {
      if (done.has(m.version)) continue;
      await tx.exec(bindSchema(m.sql, schema));
      await tx.query(`INSERT INTO ${registry}.migrations (schema_name, version, name) VALUES ($1, $2, $3)`, [schema, m.version, m.name]);
    }
  });
  return schema;
}
