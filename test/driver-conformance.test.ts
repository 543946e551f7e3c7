/**
 * The storage port's contract, checked against both drivers: the engine may rely on exactly these
 * behaviours, whichever database is behind it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Driver } from '../src/storage/driver.js';
import { type DriverHold, holdDriver, resolveTarget } from '../src/storage/connection.js';
import { quoteIdentifier } from '../src/storage/sql-identifier.js';
import { backend, POSTGRES_URL, uniqueAppId } from './support/backend.js';

describe(`storage driver (${backend})`, () => {
  let db: Driver;
  let hold: DriverHold;
  const schema = quoteIdentifier(uniqueAppId('conformance').replaceAll('-', '_'));
  beforeAll(async () => {
    hold = await holdDriver(resolveTarget(backend === 'postgres' ? { connectionString: POSTGRES_URL } : { dataDir: 'memory://' }));
    db = hold.driver;
    await db.exec(`CREATE SCHEMA ${schema}; CREATE TABLE ${schema}.t (id int PRIMARY KEY, n bigint, x numeric, b bytea, at timestamptz, j jsonb)`);
  });
  afterAll(async () => {
    await db.exec(`DROP SCHEMA ${schema} CASCADE`);
    await hold.release();
  });

  it('returns the same types as node-postgres', async () => {
    await db.query(`INSERT INTO ${schema}.t VALUES (1, 9007199254740993, 1.50, '\\x0102', now(), $1::jsonb)`, [JSON.stringify([1, { a: 'b' }])]);
    const { rows } = await db.query<{ n: unknown; x: unknown; b: unknown; at: unknown; j: unknown }>(`SELECT n, x, b, at, j FROM ${schema}.t WHERE id = 1`);
    expect(rows[0]!.n).toBe('9007199254740993');
    expect(rows[0]!.x).toBe('1.50');
    expect(Buffer.isBuffer(rows[0]!.b) && [...(rows[0]!.b as Buffer)]).toEqual([1, 2]);
    expect(rows[0]!.at).toBeInstanceOf(Date);
    expect(rows[0]!.j).toEqual([1, { a: 'b' }]);
  });

  it('counts returned rows for SELECT and affected rows for writes, like pg', async () => {
    expect((await db.query(`SELECT id FROM ${schema}.t`)).rowCount).toBe(1);
    expect((await db.query(`UPDATE ${schema}.t SET n = n + 1`)).rowCount).toBe(1);
    expect((await db.query(`UPDATE ${schema}.t SET n = n + 1 WHERE id = 42`)).rowCount).toBe(0);
  });

  it('rolls back a transaction that throws, keeps error codes, and stays usable', async () => {
    await expect(
      db.transaction(async (tx) => {
        await tx.query(`INSERT INTO ${schema}.t (id) VALUES (2)`);
        await tx.query(`INSERT INTO ${schema}.t (id) VALUES (2)`);
      }),
    ).rejects.toMatchObject({ code: '23505' });
    expect((await db.query(`SELECT id FROM ${schema}.t WHERE id = 2`)).rowCount).toBe(0);
    await db.transaction(async (tx) => tx.query(`INSERT INTO ${schema}.t (id) VALUES (3)`));
    expect((await db.query(`SELECT id FROM ${schema}.t WHERE id = 3`)).rowCount).toBe(1);
  });

  it('delivers NOTIFY after commit only, and never for a rolled-back transaction', async () => {
    const channel = `conf_${schema.replaceAll('"', '')}`;
    const got: string[] = [];
    const unlisten = await db.listen(channel, (p) => got.push(p));
    await db.transaction(async (tx) => {
      await tx.query('SELECT pg_notify($1, $2)', [channel, 'committed']);
      await new Promise((r) => setTimeout(r, 50));
      expect(got).toEqual([]);
    });
    await db.transaction(async (tx) => {
      await tx.query('SELECT pg_notify($1, $2)', [channel, 'rolled-back']);
      throw new Error('abort');
    }).catch(() => {});
    await db.query('SELECT pg_notify($1, $2)', [channel, 'autocommit']);
    const until = Date.now() + 5000;
    while (got.length < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect(got).toEqual(['committed', 'autocommit']);
    await unlisten();
  });

  it('loses no update when 20 single-statement increments race', async () => {
    await db.query(`INSERT INTO ${schema}.t (id, n) VALUES (10, 0)`);
    await Promise.all(Array.from({ length: 20 }, () => db.query(`UPDATE ${schema}.t SET n = n + 1 WHERE id = 10`)));
    expect((await db.query<{ n: string }>(`SELECT n FROM ${schema}.t WHERE id = 10`)).rows[0]!.n).toBe('20');
  });
});
