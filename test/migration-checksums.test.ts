/**
 * Issue 7 ("also found"): migrations were recorded by version only, so an applied migration whose
 * text was edited afterwards was silently not applied again, and the schema no longer matched the
 * code. Each applied migration's checksum is recorded now, and an app whose recorded checksum
 * differs from the text this build ships refuses to start with MigrationChecksumError.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemFlow, type MemFlowInstance } from '../src/index.js';
import type { Engine } from '../src/engine/engine.js';
import { isHotMeshError } from '../src/errors.js';
import { migrate, MIGRATIONS } from '../src/storage/migrate.js';
import { backend, testConnection, uniqueAppId } from './support/backend.js';

describe('migration checksums', () => {
  let mf: MemFlowInstance;
  let engine: Engine;
  beforeAll(async () => {
    mf = await MemFlow.init({ appId: uniqueAppId('mig-sum'), engine: { connection: testConnection() } });
    engine = await mf.client.engine(mf.appId);
  });
  afterAll(() => mf.shutdown());

  const recorded = async () =>
    (await engine.driver.query<{ version: number; checksum: string | null }>(
      `SELECT version, checksum FROM hotmesh_registry.migrations WHERE schema_name = $1 ORDER BY version`,
      [engine.schema],
    )).rows;

  it('records a checksum for every applied migration', async () => {
    const rows = await recorded();
    expect(rows.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
    for (const row of rows) expect(row.checksum, `checksum of migration ${row.version}`).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses to start when an applied migration was edited, naming the app and the migration', async () => {
    const edited = MIGRATIONS.map((m) => (m.version === 12 ? { ...m, sql: `${m.sql}\n-- an afterthought\n` } : m));
    const outcome = await migrate(engine.driver, mf.appId, edited).then(
      () => 'started',
      (err: unknown) => err,
    );
    expect(isHotMeshError(outcome, 'MigrationChecksumError'), `outcome: ${String(outcome)}`).toBe(true);
    const message = (outcome as Error).message;
    expect(message).toContain(`'${mf.appId}'`);
    expect(message).toContain('0012_lease_fence');
    expect(message).toMatch(/new numbered migration/);
  });

  it('refuses to start when the recorded checksum does not match (and starts again once it does)', async () => {
    const before = await recorded();
    await engine.driver.query(`UPDATE hotmesh_registry.migrations SET checksum = repeat('0', 64) WHERE schema_name = $1 AND version = 1`, [engine.schema]);
    const outcome = await migrate(engine.driver, mf.appId).then(
      () => 'started',
      (err: unknown) => (isHotMeshError(err) ? err.kind : String(err)),
    );
    expect(outcome).toBe('MigrationChecksumError');
    await engine.driver.query(`UPDATE hotmesh_registry.migrations SET checksum = $2 WHERE schema_name = $1 AND version = 1`, [engine.schema, before[0]!.checksum]);
    await expect(migrate(engine.driver, mf.appId)).resolves.toBe(engine.schema);
  });

  it('a registry written before checksums were recorded keeps working, and gets them', async () => {
    if (backend === 'pglite') {
      // this file's own database: the registry can go back to its old shape (no checksum column)
      await engine.driver.query(`ALTER TABLE hotmesh_registry.migrations DROP COLUMN checksum`);
    } else {
      // the shared server's registry: other apps use it now, so only this app's rows go back
      await engine.driver.query(`UPDATE hotmesh_registry.migrations SET checksum = NULL WHERE schema_name = $1`, [engine.schema]);
    }
    await expect(migrate(engine.driver, mf.appId)).resolves.toBe(engine.schema);
    expect((await recorded()).every((r) => r.checksum !== null)).toBe(true);
  });
});
