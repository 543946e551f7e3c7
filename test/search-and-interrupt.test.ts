/** Search fields (upstream's jobs_attributes), trace/emit once, and interrupting jobs. */
import { MemFlow, type MemFlowInstance } from 'hotmesh';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, testConnection, uniqueAppId } from './support/backend.js';

export async function goodbye(name: string) {
  const search = await MemFlow.workflow.search();
  await search.set({ custom1: 'memflow', custom2: '55' });
  await MemFlow.workflow.enrich({ jimbo: 'jones' });
  await search.incr('counter', 11);
  await search.mult('multer', 12);
  await MemFlow.workflow.trace({ step: 'traced' });
  await MemFlow.workflow.emit({ 'goodbye.done': { name } });
  await MemFlow.workflow.waitFor('abcdefg');
  return `Goodbye, ${name}!`;
}

export async function exampleHook() {
  const search = await MemFlow.workflow.search();
  await search.incr('counter', 100);
  await search.mult('multer', 10);
  await MemFlow.workflow.signal('abcdefg', { ok: true });
}

export async function sleeper() {
  await MemFlow.workflow.sleepFor('1 hour');
  return 'woke';
}

export async function boss() {
  const childId = await MemFlow.workflow.startChild({ taskQueue: 'search', workflowName: 'sleeper', workflowId: `jimbo2-${MemFlow.workflow.getContext().workflowId}` });
  await MemFlow.workflow.interrupt(childId, { throw: false });
  return { cancelledWorkflowId: childId };
}

export async function awaitingParent() {
  const id = MemFlow.workflow.getContext().workflowId;
  return MemFlow.workflow.execChild({ taskQueue: 'search', workflowName: 'sleeper', workflowId: `awaited-${id}` });
}

describe('search fields and interrupts', () => {
  let mf: MemFlowInstance;
  beforeAll(async () => {
    mf = await MemFlow.init({ appId: uniqueAppId('search'), engine: { connection: testConnection() } });
    for (const workflow of [goodbye, exampleHook, sleeper, boss, awaitingParent]) await mf.worker.create({ taskQueue: 'search', workflow });
  });
  afterAll(() => mf.shutdown());

  it('seeds, changes and queries search fields from the workflow, a hook and SQL', async () => {
    const handle = await mf.workflow.start({
      taskQueue: 'search',
      workflowName: 'goodbye',
      args: ['HotMesh'],
      search: { data: { fred: 'flintstone', barney: 'rubble' } },
    });
    const engine = await mf.client.engine(mf.appId);
    await eventually(async () => (await handle.queryState(['_jimbo']))._jimbo === 'jones');
    await handle.hook({ taskQueue: 'search', workflowName: 'exampleHook' });
    expect(await handle.result()).toBe('Goodbye, HotMesh!');
    const hotMesh = await mf.client.getHotMeshClient('search', mf.appId);
    expect(await MemFlow.Search.findAllUserData(handle.workflowId, hotMesh)).toEqual({
      fred: 'flintstone',
      barney: 'rubble',
      custom1: 'memflow',
      custom2: '55',
      jimbo: 'jones',
      counter: '111',
      multer: '120',
    });
    const rows = await mf.client.workflow.search(
      'search',
      'goodbye',
      mf.appId,
      'ignored',
      `SELECT job_id FROM ${engine.schema}.jobs_attributes WHERE field = $1 and value = $2 AND job_id = $3`,
      '_custom1',
      'memflow',
      handle.workflowId,
    );
    expect(rows).toEqual([{ job_id: handle.workflowId }]);
    // the MemFlow.init facade has it too (memflow-api.md §1.3), in its own app when namespace is null
    const viaFacade = await mf.workflow.search(
      'search',
      'goodbye',
      null,
      'ignored',
      `SELECT job_id FROM ${engine.schema}.jobs_attributes WHERE field = $1 AND job_id = $2`,
      '_custom1',
      handle.workflowId,
    );
    expect(viaFacade).toEqual([{ job_id: handle.workflowId }]);
    const exported = await handle.export({ allow: ['timeline', 'status', 'data', 'state'], values: false });
    expect(exported.status).toBe(0);
    expect((exported.data as Record<string, string>).fred).toBe('flintstone');
    expect((exported.state as { data: { done: boolean } }).data.done).toBe(true);
    expect((exported.timeline as unknown[]).length).toBeGreaterThan(5);
  });

  it('interrupts a child silently from a workflow, and a job from outside with a 410', async () => {
    const handle = await mf.workflow.start({ taskQueue: 'search', workflowName: 'boss' });
    const { cancelledWorkflowId } = await handle.result();
    const child = await mf.workflow.getHandle('search', 'sleeper', cancelledWorkflowId);
    expect(await child.result()).toBeUndefined();
    expect(await child.status()).toBeLessThan(-1_000_000);

    const sleeping = await mf.workflow.start({ taskQueue: 'search', workflowName: 'sleeper' });
    await eventually(async () => {
      const engine = await mf.client.engine(mf.appId);
      const r = await engine.driver.query(`SELECT 1 FROM ${engine.sqlSchema}.journal WHERE job_id = $1`, [sleeping.workflowId]);
      return r.rowCount > 0;
    });
    await sleeping.hotMesh.interrupt(`${mf.appId}.execute`, sleeping.workflowId, { descend: true });
    const err = await sleeping.result().catch((e) => e);
    expect(err.code).toBe(410);
    expect(err.job_id).toBe(sleeping.workflowId);
    await expect(sleeping.interrupt()).rejects.toThrow(`Job ${sleeping.workflowId} already completed`);
    await expect(sleeping.interrupt({ suppress: true })).resolves.toBe(sleeping.workflowId);
  });

  it('interrupts a parent waiting in execChild and its child together (descend)', async () => {
    // the child's end went into the parent's journal and woke it, inside the statement that ended the
    // parent too: PostgreSQL refused it, and nothing was interrupted (migration 0059)
    const parent = await mf.workflow.start({ taskQueue: 'search', workflowName: 'awaitingParent' });
    const child = await mf.workflow.getHandle('search', 'sleeper', `awaited-${parent.workflowId}`);
    await eventually(async () => {
      const engine = await mf.client.engine(mf.appId);
      const r = await engine.driver.query(`SELECT 1 FROM ${engine.sqlSchema}.journal WHERE job_id = $1`, [child.workflowId]);
      return r.rowCount > 0;
    });
    await expect(parent.interrupt({ descend: true })).resolves.toBe(parent.workflowId);
    await expect(parent.result()).rejects.toMatchObject({ code: 410, job_id: parent.workflowId });
    await expect(child.result()).rejects.toMatchObject({ code: 410, job_id: child.workflowId });
  });
});
