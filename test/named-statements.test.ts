/**
 * A driver's named statements (prepared once, then run by name) answer exactly what its plain
 * queries answer: the same value types, the same NULLs, the same errors with the same SQLSTATE, and
 * they keep working when what they name is dropped and created again. On PGlite the named path
 * speaks the wire protocol itself (pglite-driver.ts), so this is what keeps it honest.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../src/engine/engine.js';
import { MemFlow, type MemFlowInstance } from '../src/index.js';
import { testConnection, uniqueAppId } from './support/backend.js';

describe('named statements answer as plain queries do', () => {
  let mf: MemFlowInstance;
  let engine: Engine;
  let n = 0;
  const name = () => `hm_test_named_${process.pid}_${n++}`;

  beforeAll(async () => {
    mf = await MemFlow.init({ appId: uniqueAppId('named'), engine: { connection: testConnection() } });
    engine = await mf.client.engine(mf.appId);
  });
  afterAll(async () => {
    await mf.shutdown();
  });

  const both = async (sql: string, params: unknown[]) => {
    const plain = await engine.driver.query<Record<string, unknown>>(sql, params);
    const named = await engine.driver.named<Record<string, unknown>>(name(), sql, params);
    return { plain, named };
  };

  it('the same values and types, parameters of every kind, NULLs included', async () => {
    const sql = `SELECT $1::int AS i, $2::bigint AS big, $3::numeric AS num, $4::float8 AS f, $5::boolean AS b,
                        $6::text AS t, $7::jsonb AS jb, $8::json AS j, $9::text[] AS arr, $10::int[] AS ints,
                        now() - now() AS iv, to_timestamp(0) AS ts, $11::text AS nothing, '\\x0102'::bytea AS bytes`;
    const params = [42, '9007199254740993', '1.50', 2.5, true, 'héllo', '{"a":[1,{"b":null}]}', '{"z":1}', ['x', 'y,z'], [1, 2], null];
    const { plain, named } = await both(sql, params);
    expect(named.rows).toEqual(plain.rows);
    expect(named.rowCount).toBe(plain.rowCount);
    const row = named.rows[0]!;
    expect(row.i).toBe(42);
    expect(row.big).toBe('9007199254740993'); // int8 as a string, as node-postgres gives it
    expect(row.jb).toEqual({ a: [1, { b: null }] });
    expect(row.arr).toEqual(['x', 'y,z']);
    expect(row.nothing).toBeNull();
    expect(row.ts).toBeInstanceOf(Date);
    expect(Buffer.isBuffer(row.bytes)).toBe(true);
  });

  it('the same rows and counts for writes, and a statement run again by name sees the new data', async () => {
    const table = `${engine.sqlSchema}.named_probe`;
    await engine.driver.query(`CREATE TABLE ${table} (id int PRIMARY KEY, doc jsonb)`, []);
    const insert = name();
    for (let i = 0; i < 3; i++) {
      const res = await engine.driver.named(insert, `INSERT INTO ${table} VALUES ($1, $2::jsonb)`, [i, JSON.stringify({ i })]);
      expect(res.rowCount).toBe(1);
    }
    const update = await engine.driver.named<{ id: number }>(name(), `UPDATE ${table} SET doc = doc || $1::jsonb RETURNING id`, ['{"u":true}']);
    expect(update.rowCount).toBe(3);
    expect(update.rows.map((r) => r.id).sort()).toEqual([0, 1, 2]);
    const read = name();
    const first = await engine.driver.named<{ n: number }>(read, `SELECT count(*)::int AS n FROM ${table} WHERE doc ? 'u'`, []);
    await engine.driver.query(`DELETE FROM ${table} WHERE id = 0`, []);
    const second = await engine.driver.named<{ n: number }>(read, `SELECT count(*)::int AS n FROM ${table} WHERE doc ? 'u'`, []);
    expect([first.rows[0]!.n, second.rows[0]!.n]).toEqual([3, 2]);
    await engine.driver.query(`DROP TABLE ${table}`, []);
  });

  it('the same error, with its SQLSTATE, and the statement works again afterwards', async () => {
    const sql = `SELECT (1 / $1::int) AS x`;
    const stmt = name();
    const plain = await engine.driver.query(sql, [0]).catch((e: { code?: string; message?: string }) => e);
    const named = await engine.driver.named(stmt, sql, [0]).catch((e: { code?: string; message?: string }) => e);
    expect((named as { code?: string }).code).toBe('22012');
    expect((named as { code?: string }).code).toBe((plain as { code?: string }).code);
    expect((named as { message?: string }).message).toMatch(/division by zero/);
    await expect(engine.driver.named<{ x: number }>(stmt, sql, [1])).resolves.toMatchObject({ rows: [{ x: 1 }] });
    // a statement PostgreSQL cannot prepare is not remembered: once its table exists, the same name works
    const broken = name();
    const table = `${engine.sqlSchema}.named_later`;
    await expect(engine.driver.named(broken, `SELECT count(*)::int AS n FROM ${table}`, [])).rejects.toMatchObject({ code: '42P01' });
    await engine.driver.query(`CREATE TABLE ${table} (v int)`, []);
    await expect(engine.driver.named(broken, `SELECT count(*)::int AS n FROM ${table}`, [])).resolves.toMatchObject({ rows: [{ n: 0 }] });
    await engine.driver.query(`DROP TABLE ${table}`, []);
  });

  it('a named statement whose table is dropped and created again answers from the new one', async () => {
    const table = `${engine.sqlSchema}.named_again`;
    const stmt = name();
    await engine.driver.query(`CREATE TABLE ${table} (v text)`, []);
    await engine.driver.query(`INSERT INTO ${table} VALUES ('first')`, []);
    await expect(engine.driver.named(stmt, `SELECT v FROM ${table}`, [])).resolves.toMatchObject({ rows: [{ v: 'first' }] });
    await engine.driver.query(`DROP TABLE ${table}`, []);
    await engine.driver.query(`CREATE TABLE ${table} (v text)`, []);
    await engine.driver.query(`INSERT INTO ${table} VALUES ('second')`, []);
    await expect(engine.driver.named(stmt, `SELECT v FROM ${table}`, [])).resolves.toMatchObject({ rows: [{ v: 'second' }] });
    await engine.driver.query(`DROP TABLE ${table}`, []);
  });

  it('concurrent named statements and a transaction do not interleave', async () => {
    const table = `${engine.sqlSchema}.named_tx`;
    await engine.driver.query(`CREATE TABLE ${table} (k int PRIMARY KEY, v int NOT NULL)`, []);
    await engine.driver.query(`INSERT INTO ${table} VALUES (1, 0)`, []);
    const bump = name();
    const tx = engine.driver.transaction(async (t) => {
      await t.query(`UPDATE ${table} SET v = v + 100 WHERE k = 1`, []);
      await new Promise((r) => setTimeout(r, 20));
      const inside = await t.query<{ v: number }>(`SELECT v FROM ${table} WHERE k = 1`, []);
      return inside.rows[0]!.v;
    });
    const bumps = Array.from({ length: 20 }, () => engine.driver.named(bump, `UPDATE ${table} SET v = v + 1 WHERE k = 1`, []));
    await Promise.all(bumps);
    const inside = await tx;
    const final = await engine.driver.query<{ v: number }>(`SELECT v FROM ${table} WHERE k = 1`, []);
    expect(final.rows[0]!.v).toBe(120);
    // PGlite: one session, so the named updates run wholly before or after the transaction, never
    // inside it (sent while it runs, they all run after it). PostgreSQL: those that committed before
    // its UPDATE are in what it reads; the rest wait for its row lock.
    if (engine.driver.kind === 'pglite') expect(inside).toBe(100);
    else expect(inside).toBeGreaterThanOrEqual(100);
    await engine.driver.query(`DROP TABLE ${table}`, []);
  });
});
