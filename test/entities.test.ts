/** Upstream's Entity queries over the jobs of one entity. */
import { MemFlow, type MemFlowInstance } from 'hotmesh';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { testConnection, uniqueAppId } from './support/backend.js';

export async function waitsForGo(): Promise<string> {
  return MemFlow.workflow.waitFor<string>('go-never-sent');
}

export async function createUser(name: string, age: number) {
  const ctx = await MemFlow.workflow.entity();
  await ctx.set({ name, age, role: age > 30 ? 'admin' : 'user' });
  return name;
}

describe('Entity queries', () => {
  let mf: MemFlowInstance;
  let hotMesh: Awaited<ReturnType<MemFlowInstance['client']['getHotMeshClient']>>;
  beforeAll(async () => {
    mf = await MemFlow.init({ appId: uniqueAppId('entity'), engine: { connection: testConnection() } });
    await mf.worker.create({ taskQueue: 'users', workflow: createUser });
    await mf.worker.create({ taskQueue: 'users', workflow: waitsForGo });
    for (const [name, age] of [['John', 25], ['Johnny', 35], ['Ada', 40]] as const) {
      const h = await mf.workflow.start({ taskQueue: 'users', workflowName: 'createUser', args: [name, age], entity: 'user', workflowId: `user-${name}-${mf.appId}` });
      await h.result();
    }
    hotMesh = await mf.client.getHotMeshClient('users', mf.appId);
  });
  afterAll(() => mf.shutdown());

  it('finds by equality, comparison, LIKE and IN, with pages', async () => {
    expect((await MemFlow.Entity.find('user', { age: 25 }, hotMesh)).map((r) => (r.context as any).name)).toEqual(['John']);
    expect((await MemFlow.Entity.find('user', { age: { $gt: 30 } }, hotMesh)).length).toBe(2);
    // several operators on one field all hold (only the first was applied: a black-box pass)
    expect((await MemFlow.Entity.find('user', { age: { $gt: 20, $lt: 38 } }, hotMesh)).map((r) => (r.context as any).name).sort()).toEqual(['John', 'Johnny']);
    expect((await MemFlow.Entity.find('user', { age: { $gte: 35, $lte: 35 } }, hotMesh)).map((r) => (r.context as any).name)).toEqual(['Johnny']);
    await expect(MemFlow.Entity.find('user', { age: { $gt: 20, $between: 3 } }, hotMesh)).rejects.toMatchObject({ kind: 'ValidationError' });
    expect((await MemFlow.Entity.findByCondition('user', 'name', 'John%', 'LIKE', hotMesh)).length).toBe(2);
    expect((await MemFlow.Entity.findByCondition('user', 'name', ['Ada', 'John'], 'IN', hotMesh)).length).toBe(2);
    const page1 = await MemFlow.Entity.findByCondition('user', 'age', 0, '>', hotMesh, { limit: 2, offset: 0 });
    const page2 = await MemFlow.Entity.findByCondition('user', 'age', 0, '>', hotMesh, { limit: 2, offset: 2 });
    expect(new Set([...page1, ...page2].map((r) => r.key)).size).toBe(3);
  });

  it('finds by id, and creates an index idempotently', async () => {
    const row = await MemFlow.Entity.findById('user', `user-Ada-${mf.appId}`, hotMesh);
    expect(row?.key).toBe(`hmsh:${mf.appId}:j:user-Ada-${mf.appId}`);
    expect(await MemFlow.Entity.findById('user', 'nobody', hotMesh)).toBeNull();
    expect(await MemFlow.Entity.createIndex('user', 'age', hotMesh)).toBe('idx_user_age');
    expect(await MemFlow.Entity.createIndex('user', 'age', hotMesh)).toBe('idx_user_age');
    expect(await MemFlow.Entity.createIndex('user', 'isPremium', hotMesh, 'btree')).toBe('idx_user_ispremium');
    await expect(MemFlow.Entity.createIndex('user', "x'); drop table t; --", hotMesh)).rejects.toMatchObject({ kind: 'ValidationError' });
  });

  // a row's status is handle.status()'s semaphore (it said -1 for an interrupted job, and 0 for a
  // parked or cancelled one, where the handle says about -1e9 and 1: a black-box pass)
  it("gives each row the handle's status semaphore", async () => {
    const done = `user-John-${mf.appId}`;
    const waiting = await mf.workflow.start({ taskQueue: 'users', workflowName: 'waitsForGo', entity: 'user', workflowId: `user-waits-${mf.appId}` });
    const stopped = await mf.workflow.start({ taskQueue: 'users', workflowName: 'waitsForGo', entity: 'user', workflowId: `user-stops-${mf.appId}` });
    await vi.waitUntil(async () => (await stopped.describe()).status === 'waiting', { timeout: 10_000 });
    await stopped.terminate();
    for (const [id, handle] of [
      [done, await mf.workflow.getHandle('users', 'createUser', done)],
      [waiting.workflowId, waiting],
      [stopped.workflowId, stopped],
    ] as const) {
      const row = await MemFlow.Entity.findById('user', id, hotMesh);
      expect(row?.status).toBe(await handle.status());
    }
    expect(await stopped.status()).toBeLessThan(-1e8);
    expect(await waiting.status()).toBeGreaterThan(0);
  });
});

/**
 * Entity.find over many rows: a numeric comparison skips stored text that is not a number (it used
 * to fail with 22P02: the numeric regex sat in a template literal and lost its backslashes, so
 * "2024-01" passed it and the cast failed), and a condition on a field indexed by createIndex uses
 * that index (it compared `context ->> c.field` with a field name from a recordset, which no
 * expression index can match: 200k rows were a seq scan and a sort).
 */
describe('Entity.find: numeric text and index use', () => {
  let mf: MemFlowInstance;
  let hotMesh: Awaited<ReturnType<MemFlowInstance['client']['getHotMeshClient']>>;
  const ROWS = 3000;
  beforeAll(async () => {
    mf = await MemFlow.init({ appId: uniqueAppId('entity-idx'), engine: { connection: testConnection() } });
    hotMesh = await mf.client.getHotMeshClient('bulk', mf.appId);
    const { driver, sqlSchema } = hotMesh.engine;
    // rows written straight into the table: the planner needs thousands, and no workflow has to run
    await driver.query(
      `INSERT INTO ${sqlSchema}.jobs (id, entity, workflow_name, task_queue, context, created_at)
       SELECT 'bulk-' || g, 'bulkuser', 'w', 'bulk',
              jsonb_build_object('age', g % 500, 'score', g % 500, 'name', 'n' || g, 'code', 'c' || lpad(g::text, 5, '0')),
              now() - g * interval '1 second'
         FROM generate_series(1, ${ROWS}) g`,
    );
    const readings: Array<[string, unknown]> = [['r1', '2024-01'], ['r2', ' 12 '], ['r3', '1e3'], ['r4', 'abc'], ['r5', 7], ['r6', 40.5], ['r7', '-3.5']];
    for (const [id, reading] of readings) {
      await driver.query(`INSERT INTO ${sqlSchema}.jobs (id, entity, workflow_name, task_queue, context) VALUES ($1, 'meter', 'w', 'bulk', $2::jsonb)`, [
        id,
        JSON.stringify({ reading }),
      ]);
    }
    expect(await MemFlow.Entity.createIndex('bulkuser', 'age', hotMesh, 'btree')).toBe('idx_bulkuser_age');
    expect(await MemFlow.Entity.createIndex('bulkuser', 'code', hotMesh, 'btree')).toBe('idx_bulkuser_code');
    expect(await MemFlow.Entity.createIndex('bulkuser', 'name', hotMesh)).toBe('idx_bulkuser_name'); // gin, the default
    expect(await MemFlow.Entity.createIndex('bulkuser', 'score', hotMesh)).toBe('idx_bulkuser_score');
    expect(await MemFlow.Entity.createIndex('meter', 'reading', hotMesh)).toBe('idx_meter_reading');
    await driver.query(`ANALYZE ${sqlSchema}.jobs`);
  });
  afterAll(() => mf.shutdown());

  it('a numeric comparison skips stored text that is not a number ("2024-01", "abc") and reads " 12 ", "1e3", "-3.5"', async () => {
    const readings = async (op: string, value: number) =>
      (await MemFlow.Entity.findByCondition('meter', 'reading', value, op, hotMesh)).map((r) => (r.context as any).reading).sort();
    expect(await readings('>', 10)).toEqual([' 12 ', 40.5, '1e3'].sort());
    expect(await readings('<=', 7)).toEqual(['-3.5', 7].sort());
    expect(await readings('<', 0)).toEqual(['-3.5']);
    expect(await readings('>=', 1000)).toEqual(['1e3']);
  });

  it('equality compares the stored text, with or without a gin index on the field', async () => {
    // `reading` has a gin index: the containment tests added for it must not drop a row the text matches
    const equal = async (value: unknown) => (await MemFlow.Entity.find('meter', { reading: value }, hotMesh)).map((r) => (r.context as any).reading);
    expect(await equal(7)).toEqual([7]);
    expect(await equal('7')).toEqual([7]);
    expect(await equal('40.5')).toEqual([40.5]);
    expect(await equal(' 12 ')).toEqual([' 12 ']);
    expect(await equal('1e3')).toEqual(['1e3']);
    expect(await equal(1000)).toEqual([]);
    expect(await equal(null)).toEqual([]);
  });

  it('refuses, before SQL, a field that could not be written into the SQL text, and a value jsonb would refuse', async () => {
    for (const field of ["x'); drop table t; --", 'first-name', 'a.b', '', 'x'.repeat(64)]) {
      await expect(MemFlow.Entity.find('meter', { [field]: 1 }, hotMesh), field).rejects.toMatchObject({ kind: 'ValidationError', field: 'condition field' });
    }
    await expect(MemFlow.Entity.find('meter', { reading: Number.NaN }, hotMesh)).rejects.toMatchObject({ kind: 'ValidationError' });
    await expect(MemFlow.Entity.find('meter', { reading: 'a\u0000b' }, hotMesh)).rejects.toMatchObject({ kind: 'ValidationError' });
  });

  /** The one statement Entity.find sent, EXPLAINed with sequential scans off. */
  async function planOf(find: () => Promise<unknown>): Promise<string> {
    const driver = hotMesh.engine.driver;
    const sent: Array<[string, unknown[]]> = [];
    const originalQuery = driver.query.bind(driver);
    const originalNamed = driver.named.bind(driver);
    const spyQuery = vi.spyOn(driver, 'query').mockImplementation((sql: string, params?: unknown[]) => {
      sent.push([sql, params ?? []]);
      return originalQuery(sql, params);
    });
    const spyNamed = vi.spyOn(driver, 'named').mockImplementation((name: string, sql: string, params: unknown[]) => {
      sent.push([sql, params]);
      return originalNamed(name, sql, params);
    });
    try {
      await find();
    } finally {
      spyQuery.mockRestore();
      spyNamed.mockRestore();
    }
    expect(sent).toHaveLength(1);
    const [sql, params] = sent[0]!;
    return driver.transaction(async (tx) => {
      await tx.query('SET LOCAL enable_seqscan = off');
      const res = await tx.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, params);
      return res.rows.map((r) => r['QUERY PLAN']).join('\n');
    });
  }

  it('a condition on a field indexed by createIndex uses the index (btree and gin)', async () => {
    const E = MemFlow.Entity;
    const cases: Array<[string, () => Promise<unknown[]>, string, number]> = [
      ['btree =', () => E.find('bulkuser', { age: 42 }, hotMesh), 'idx_bulkuser_age', ROWS / 500],
      ['btree IN', () => E.find('bulkuser', { age: { $in: [42, 43] } }, hotMesh), 'idx_bulkuser_age', (2 * ROWS) / 500],
      ['btree > on text', () => E.findByCondition('bulkuser', 'code', 'c02990', '>', hotMesh), 'idx_bulkuser_code', 10],
      ['gin = (the default index)', () => E.find('bulkuser', { name: 'n42' }, hotMesh), 'idx_bulkuser_name', 1],
      ['gin = on a number', () => E.find('bulkuser', { score: 42 }, hotMesh), 'idx_bulkuser_score', ROWS / 500],
      ['two fields, one indexed', () => E.find('bulkuser', { name: 'n42', age: 42 }, hotMesh), 'idx_bulkuser_', 1],
    ];
    for (const [label, find, index, expected] of cases) {
      expect((await find()).length, label).toBe(expected);
      expect(await planOf(find), label).toContain(index);
    }
  });
});
