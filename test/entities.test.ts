/** Upstream's Entity queries over the jobs of one entity. */
import { MemFlow, type MemFlowInstance } from 'hotmesh';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConnection, uniqueAppId } from './support/backend.js';

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
});
