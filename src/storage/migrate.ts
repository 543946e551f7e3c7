/**
 * Numbered migrations (src/sql/migrations/NNNN_name.sql), applied once per app, in one transaction,
 * under one advisory lock, and recorded in hotmesh_registry.migrations with a checksum of their text.
 * Ten processes starting at once all come up: the first applies, the others wait on the lock and find
 * nothing left to do. The same transaction registers appId → schema (UNIQUE on schema), so two app ids
 * can never share one. An applied migration whose text this build ships differently (it was edited
 * after it ran) stops the app from starting: the schema would not be what the code expects.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { AppNotFoundError, AppSchemaConflictError, MigrationChecksumError } from '../errors.js';
import { bindParams, type Query } from '../sql/define-query.js';
import * as registry from '../sql/queries/registry.js';
import type { Driver, Queryable } from './driver.js';
import { bindSchema, schemaForApp } from './sql-identifier.js';

const MIGRATIONS_DIR = new URL('../sql/migrations/', import.meta.url);

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/** `0012_lease_fence`: how a migration is named in messages (its file name without `.sql`). */
export function migrationLabel(m: Pick<Migration, 'version' | 'name'>): string {
  return `${String(m.version).padStart(4, '0')}_${m.name}`;
}

/** sha-256 of a migration's text, line endings normalised (a checkout with CRLF is the same text). */
export function migrationChecksum(sql: string): string {
  return createHash('sha256').update(sql.replace(/\r\n/g, '\n')).digest('hex');
}

/** Read once, when this module loads: the migrations shipped with this build, in order. */
export const MIGRATIONS: readonly Migration[] = Object.freeze(
  fs
    .readdirSync(MIGRATIONS_DIR)
    .filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((file) => ({
      version: Number.parseInt(file.slice(0, 4), 10),
      name: file.slice(5, -4),
      sql: fs.readFileSync(new URL(file, MIGRATIONS_DIR), 'utf8'),
    })),
);


function run<P extends object, R>(tx: Queryable, query: Query<P, R>, params: P, schema?: string) {
  const text = schema === undefined ? query.text : bindSchema(query.text, schema);
  return tx.query<R>(text, bindParams(query, params));
}

/** `migrations` is for tests (an edited text); the engine always applies the shipped ones. */
export async function migrate(
  driver: Driver,
  appId: string,
  migrations: readonly Migration[] = MIGRATIONS,
  /** Told of each migration this call applied, once its transaction committed. */
  onApplied?: (migration: Migration) => void,
): Promise<string> {
  const appliedNow: Migration[] = [];
  const schema = schemaForApp(appId);
  await driver.transaction(async (tx) => {
    await run(tx, registry.takeMigrationLock, { lock: registry.MIGRATION_LOCK });
    await run(tx, registry.createRegistrySchema, {});
    await run(tx, registry.createAppsTable, {});
    await run(tx, registry.createMigrationsTable, {});
    await run(tx, registry.addMigrationChecksum, {});
    const owner = await run(tx, registry.schemaOwner, { schema });
    if (owner.rows[0] && owner.rows[0].app_id !== appId) throw new AppSchemaConflictError(appId, schema, owner.rows[0].app_id);
    if (!owner.rows[0]) {
      await run(tx, registry.registerApp, { appId, schema });
      await run(tx, registry.createAppSchema, {}, schema);
    }
    const applied = await run(tx, registry.appliedMigrations, { schema });
    const recorded = new Map(applied.rows.map((r) => [Number(r.version), r]));
    for (const m of migrations) {
      const checksum = migrationChecksum(m.sql);
      const row = recorded.get(m.version);
      if (!row) {
        await tx.exec(bindSchema(m.sql, schema));
        await run(tx, registry.recordMigration, { schema, version: m.version, name: m.name, checksum });
        appliedNow.push(m);
      } else if (row.checksum === null) {
        await run(tx, registry.recordChecksum, { schema, version: m.version, checksum });
      } else if (row.checksum !== checksum) {
        throw new MigrationChecksumError(appId, schema, m.version, m.name, row.checksum, checksum);
      }
    }
  });
  for (const m of appliedNow) onApplied?.(m);
  return schema;
}

/** What `migrate()` would do for an app, read without writing anything (`hotmesh migrate --dry-run`). */
export interface MigrationPlan {
  appId: string;
  schema: string;
  /** The app is in the registry (some process opened it before). */
  registered: boolean;
  /** The migrations not applied yet, in the order they would run. */
  pending: Migration[];
}

/**
 * The plan of `migrate(driver, appId)` without running it: a database with no registry yet (nothing
 * ever opened it) has every migration pending. Refuses what migrate() would refuse: a schema owned by
 * another app id, an applied migration whose text changed.
 */
export async function planMigrations(db: Queryable, appId: string, migrations: readonly Migration[] = MIGRATIONS): Promise<MigrationPlan> {
  const schema = schemaForApp(appId);
  const present = (await run(db, registry.registryPresent, {})).rows[0]?.present === true;
  if (!present) return { appId, schema, registered: false, pending: [...migrations] };
  const owner = await run(db, registry.schemaOwner, { schema });
  if (owner.rows[0] && owner.rows[0].app_id !== appId) throw new AppSchemaConflictError(appId, schema, owner.rows[0].app_id);
  const recorded = new Map((await run(db, registry.appliedMigrations, { schema })).rows.map((r) => [Number(r.version), r]));
  for (const m of migrations) {
    const row = recorded.get(m.version);
    const checksum = migrationChecksum(m.sql);
    if (row?.checksum && row.checksum !== checksum) throw new MigrationChecksumError(appId, schema, m.version, m.name, row.checksum, checksum);
  }
  return { appId, schema, registered: owner.rows.length > 0, pending: migrations.filter((m) => !recorded.has(m.version)) };
}

/**
 * The plan of an app the database has; an AppNotFoundError naming the apps it has otherwise. For
 * whoever must not provision an app by opening it (a read that names one, the CLI, the dashboard).
 */
export async function planRegisteredApp(db: Queryable, appId: string): Promise<MigrationPlan> {
  const plan = await planMigrations(db, appId);
  if (!plan.registered) throw new AppNotFoundError(appId, (await registeredApps(db)).map((a) => a.appId));
  return plan;
}

/** The apps of a database (none when nothing ever opened it), each with its newest applied migration. */
export async function registeredApps(db: Queryable): Promise<Array<{ appId: string; schema: string; createdAt: string; migration: number | null }>> {
  const present = (await run(db, registry.registryPresent, {})).rows[0]?.present === true;
  if (!present) return [];
  const rows = (await run(db, registry.listApps, {})).rows;
  return rows.map((r) => ({
    appId: r.app_id,
    schema: r.schema_name,
    createdAt: new Date(r.created_at).toISOString(),
    migration: r.migration === null ? null : Number(r.migration),
  }));
}
