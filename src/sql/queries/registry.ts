/**
 * The registry every app shares (`hotmesh_registry`): which appId owns which schema, and which
 * migrations each schema has. Created by the first process that opens any app; every statement runs
 * inside migrate()'s transaction, under its advisory lock.
 */
import { defineQuery, type NoParams } from '../define-query.js';

/** Arbitrary constant shared by every HotMesh process: serialises migrations across processes. */
export const MIGRATION_LOCK = 7_361_001;

export const takeMigrationLock = defineQuery<{ lock: number }>(/* sql */ `SELECT pg_advisory_xact_lock($lock)`);

export const createRegistrySchema = defineQuery<NoParams>(/* sql */ `CREATE SCHEMA IF NOT EXISTS hotmesh_registry`);

export const createAppsTable = defineQuery<NoParams>(/* sql */ `
CREATE TABLE IF NOT EXISTS hotmesh_registry.apps (
  app_id text PRIMARY KEY, schema_name text NOT NULL UNIQUE, created_at timestamptz NOT NULL DEFAULT now())`);

export const createMigrationsTable = defineQuery<NoParams>(/* sql */ `
CREATE TABLE IF NOT EXISTS hotmesh_registry.migrations (
  schema_name text NOT NULL, version int NOT NULL, name text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (schema_name, version))`);

export const schemaOwner = defineQuery<{ schema: string }, { app_id: string }>(/* sql */ `
SELECT app_id FROM hotmesh_registry.apps WHERE schema_name = $schema`);

export const registerApp = defineQuery<{ appId: string; schema: string }>(/* sql */ `
INSERT INTO hotmesh_registry.apps (app_id, schema_name) VALUES ($appId, $schema)`);

/** The app's own schema; `{{schema}}` is bound by the caller like a migration's. */
export const createAppSchema = defineQuery<NoParams>(/* sql */ `CREATE SCHEMA IF NOT EXISTS {{schema}}`);

/**
 * The checksum of each applied migration's text (sha-256, hex). Registries written before it was
 * recorded have no such column: it is added here, once, and their rows are NULL until migrate() fills
 * them in. Looked up first rather than `ADD COLUMN IF NOT EXISTS`, which would take an exclusive lock
 * and need ownership of the table on every start.
 */
export const addMigrationChecksum = defineQuery<NoParams>(/* sql */ `
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_attribute
                  WHERE attrelid = 'hotmesh_registry.migrations'::regclass AND attname = 'checksum' AND NOT attisdropped) THEN
    ALTER TABLE hotmesh_registry.migrations ADD COLUMN checksum text;
  END IF;
END
$$`);

export const appliedMigrations = defineQuery<{ schema: string }, { version: number; name: string; checksum: string | null }>(/* sql */ `
SELECT version, name, checksum FROM hotmesh_registry.migrations WHERE schema_name = $schema`);

export const recordMigration = defineQuery<{ schema: string; version: number; name: string; checksum: string }>(/* sql */ `
INSERT INTO hotmesh_registry.migrations (schema_name, version, name, checksum) VALUES ($schema, $version, $name, $checksum)`);

/** A migration applied before checksums were recorded: trust its text as this build ships it. */
export const recordChecksum = defineQuery<{ schema: string; version: number; checksum: string }>(/* sql */ `
UPDATE hotmesh_registry.migrations SET checksum = $checksum
 WHERE schema_name = $schema AND version = $version AND checksum IS NULL`);

/**
 * Whether the registry exists at all (a database no HotMesh process has opened yet has none). Read
 * without creating it, for the CLI's read-only commands (`hotmesh apps`, `migrate --dry-run`).
 */
export const registryPresent = defineQuery<NoParams, { present: boolean }>(/* sql */ `
SELECT to_regclass('hotmesh_registry.migrations') IS NOT NULL AND to_regclass('hotmesh_registry.apps') IS NOT NULL AS present`);

/** Every app of the database with its newest applied migration. */
export const listApps = defineQuery<NoParams, { app_id: string; schema_name: string; created_at: Date; migration: number | null }>(/* sql */ `
SELECT a.app_id, a.schema_name, a.created_at, max(m.version) AS migration
  FROM hotmesh_registry.apps a
  LEFT JOIN hotmesh_registry.migrations m ON m.schema_name = a.schema_name
 GROUP BY a.app_id, a.schema_name, a.created_at
 ORDER BY a.app_id`);
