/**
 * PGlite's one session keeps its prepared statements for the life of the process (a pg pool's
 * connections come and go): one whose result type changed, or that the session forgot, is prepared
 * again (pglite-driver.ts `named`). PGlite only: on PostgreSQL a pooled connection answers "cached
 * plan must not change result type" until the pool replaces it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../src/engine/engine.js';
import { MemFlow, type MemFlowInstance } from '../src/index.js';
import { testConnection, uniqueAppId } from './support/backend.js';

describe('PGlite named statements outlive what they were prepared against', () => {
  let mf: MemFlowInstance;
  let engine: Engine;

  beforeAll(async () => {
    mf = await MemFlow.init({ appId: uniqueAppId('pgnamed'), engine: { connection: testConnection() } });
    engine = await mf.client.engine(mf.appId);
  });
  afterAll(async () => {
    await mf.shutdown();
  });

  it('a statement whose result type changed, or that was deallocated, is prepared again', async () => {
    expect(engine.driver.kind).toBe('pglite');
    const table = `${engine.sqlSchema}.named_shape`;
    const stmt = `hm_test_pglite_named_${process.pid}`;
    await engine.driver.query(`CREATE TABLE ${table} (v text)`, []);
    await engine.driver.query(`INSERT INTO ${table} VALUES ('a')`, []);
    await expect(engine.driver.named(stmt, `SELECT * FROM ${table}`, [])).resolves.toMatchObject({ rows: [{ v: 'a' }] });
    await engine.driver.query(`ALTER TABLE ${table} ADD COLUMN w int DEFAULT 7`, []);
    await expect(engine.driver.named(stmt, `SELECT * FROM ${table}`, [])).resolves.toMatchObject({ rows: [{ v: 'a', w: 7 }] });
    await engine.driver.query(`DEALLOCATE ${stmt}`, []);
    await expect(engine.driver.named(stmt, `SELECT * FROM ${table}`, [])).resolves.toMatchObject({ rows: [{ v: 'a', w: 7 }] });
    await engine.driver.query(`DROP TABLE ${table}`, []);
  });

  it('a name prepared for one text refuses another (names are the text\'s hash: a clash is a bug)', async () => {
    const stmt = `hm_test_pglite_clash_${process.pid}`;
    await expect(engine.driver.named<{ x: number }>(stmt, 'SELECT 1 AS x', [])).resolves.toMatchObject({ rows: [{ x: 1 }] });
    await expect(engine.driver.named(stmt, 'SELECT 2 AS x', [])).rejects.toThrow(/already names another text/);
  });
});
