/**
 * Review findings (bad input): input that is not validated reaches SQL and comes back as a raw
 * database error (22P02, 22023, 2201W) instead of a typed ValidationError, and one ill-typed context
 * value makes every comparison query over its entity fail.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemFlow, type MemFlowInstance, ValidationError } from '../src/index.js';
import { testConnection, uniqueAppId } from './support/backend.js';

const outcome = (p: Promise<unknown>) =>
  p.then(
    (value) => ({ ok: true as const, value }),
    (err: Error & { code?: string }) => ({ ok: false as const, typed: err instanceof ValidationError, code: err.code, message: err.message }),
  );

describe('untyped errors from unvalidated input', () => {
  let mf: MemFlowInstance;
  let hotMesh: Awaited<ReturnType<MemFlowInstance['client']['getHotMeshClient']>>;
  let idA: string;
  beforeAll(async () => {
    mf = await MemFlow.init({ appId: uniqueAppId('rv-input'), engine: { connection: testConnection() } });
    hotMesh = await mf.client.getHotMeshClient('users', mf.appId);
    // three users; no worker needed, the contexts are written from outside
    const ages: unknown[] = [25, 41, 'unknown'];
    for (const [i, age] of ages.entries()) {
      const h = await mf.workflow.start({ taskQueue: 'users', workflowName: 'user', entity: 'user', workflowId: `u${i}-${mf.appId}` });
      await h.context().set({ name: `u${i}`, age });
      if (i === 0) idA = h.workflowId;
    }
  });
  afterAll(() => mf.shutdown());

  it('Entity.find with $gt over a field that one job holds as a string', async () => {
    // expected: the numeric match (41); a non-numeric value does not compare, it does not break the query
    const r = await outcome(MemFlow.Entity.find('user', { age: { $gt: 30 } }, hotMesh));
    expect(r).toMatchObject({ ok: true });
    const rows = (r as { value: Array<{ context: { name: string; age: unknown } }> }).value;
    expect(rows.map((row) => row.context)).toEqual([{ name: 'u1', age: 41 }]);
  });

  it('Entity.findByCondition IN with a non-array value', async () => {
    const r = await outcome(MemFlow.Entity.findByCondition('user', 'name', 'u0', 'IN', hotMesh));
    expect(r).toMatchObject({ ok: false, typed: true });
  });

  it('Entity.find with a negative or fractional page', async () => {
    expect.soft(await outcome(MemFlow.Entity.find('user', { name: 'u0' }, hotMesh, { limit: -1 }))).toMatchObject({ ok: false, typed: true });
    expect.soft(await outcome(MemFlow.Entity.find('user', { name: 'u0' }, hotMesh, { offset: 1.5 }))).toMatchObject({ ok: false, typed: true });
  });

  it('interrupt with a non-numeric or negative expire', async () => {
    const h = await mf.workflow.getHandle('users', 'user', idA);
    expect.soft(await outcome(h.interrupt({ expire: 'soon' as unknown as number }))).toMatchObject({ ok: false, typed: true });
    // start() refuses a negative expire; interrupt() stores it, and the sweeper deletes the record at once
    expect.soft(await outcome(h.interrupt({ expire: -1 }))).toMatchObject({ ok: false, typed: true });
  });

  it('context at() / history() with non-integer arguments', async () => {
    const ctx = (await mf.workflow.getHandle('users', 'user', `u1-${mf.appId}`)).context();
    expect.soft(await outcome(ctx.at('latest' as unknown as number))).toMatchObject({ ok: false, typed: true });
    expect.soft(await outcome(ctx.history({ limit: -5 }))).toMatchObject({ ok: false, typed: true });
  });
});
