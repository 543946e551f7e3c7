/** Smaller parts of the established API: signalIn, deployAndActivate, getHandle with a hook's name. */
import { MemFlow, type MemFlowInstance } from 'hotmesh';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, testConnection, uniqueAppId } from './support/backend.js';
import { deleteExpiredJobs } from '../src/worker/expired-jobs.js';

export async function closed() {
  return 'done';
}
export async function noop() {}

describe('established API details', () => {
  let mf: MemFlowInstance;
  beforeAll(async () => {
    mf = await MemFlow.init({ appId: uniqueAppId('compat'), engine: { connection: testConnection() } });
    await mf.worker.create({ taskQueue: 'compat', workflow: closed });
    await mf.worker.create({ taskQueue: 'compat', workflow: noop });
  });
  afterAll(() => mf.shutdown());

  it('refuses hooks on a job started with signalIn: false, and on a job that does not exist', async () => {
    const handle = await mf.workflow.start({ taskQueue: 'compat', workflowName: 'closed', signalIn: false });
    expect(await handle.result()).toBe('done');
    await expect(handle.hook({ taskQueue: 'compat', workflowName: 'noop' })).rejects.toThrow('accepts no hooks');
    await expect(mf.workflow.hook({ taskQueue: 'compat', workflowName: 'noop', workflowId: 'no-such-job' })).rejects.toThrow('no-such-job Not Found');
  });

  it('resolves void results as undefined, also through a handle made with a hook name', async () => {
    const handle = await mf.workflow.start({ taskQueue: 'compat', workflowName: 'noop' });
    expect(await handle.result()).toBeUndefined();
    const viaHook = await mf.workflow.getHandle('compat', 'someHook', handle.workflowId);
    expect(await viaHook.result()).toBeUndefined();
    expect(await viaHook.status()).toBe(0);
  });

  it('keeps finished jobs by default, and deletes one started with expire once it has passed', async () => {
    const kept = await mf.workflow.start({ taskQueue: 'compat', workflowName: 'closed' });
    const expiring = await mf.workflow.start({ taskQueue: 'compat', workflowName: 'closed', expire: 1 });
    await kept.result();
    await expiring.result();
    const engine = await mf.client.engine(mf.appId);
    const expiry = await engine.driver.query<{ id: string; keep_ms: number | null }>(
      `SELECT id, (extract(epoch FROM expire_at - completed_at) * 1000)::float8 AS keep_ms FROM ${engine.sqlSchema}.jobs WHERE id = ANY($1)`,
      [[kept.workflowId, expiring.workflowId]],
    );
    expect(Object.fromEntries(expiry.rows.map((r) => [r.id, r.keep_ms === null ? null : Number(r.keep_ms)]))).toEqual({
      [kept.workflowId]: null, // kept for good
      [expiring.workflowId]: 1000, // one second after completion
    });
    // sweep (what every worker's sweeper runs every 15 s) until the second has passed
    await eventually(async () => {
      await deleteExpiredJobs(engine, 'test-sweep-jobs', 500);
      return (await engine.driver.query(`SELECT 1 FROM ${engine.sqlSchema}.jobs WHERE id = $1`, [expiring.workflowId])).rows.length === 0;
    });
    expect(await kept.result()).toBe('done');
    await expect(expiring.result()).rejects.toMatchObject({ kind: 'JobNotFoundError', code: 404 });
    // the id is free again
    const again = await mf.workflow.start({ taskQueue: 'compat', workflowName: 'closed', workflowId: expiring.workflowId });
    expect(await again.result()).toBe('done');
  });

  // Fix: the worker's sweeper came every 15 s whatever was due, so a job started with `expire: 1` was
  // still readable up to 15 s after it finished. Its own finish now brings the next round forward.
  it('the worker deletes a job started with expire: 1 about a second after it finishes, not at its next 15 s round', async () => {
    const expiring = await mf.workflow.start({ taskQueue: 'compat', workflowName: 'closed', expire: 1 });
    await expiring.result();
    const finished = Date.now();
    const gone = await eventually(
      () => expiring.status().then(
        () => false,
        (err: unknown) => (err as { kind?: string }).kind === 'JobNotFoundError' && Date.now() - finished,
      ),
      10_000,
      25,
    );
    expect(gone).toBeGreaterThanOrEqual(900);
    expect(gone).toBeLessThan(6_000); // the bug: the next 15 s round (about 1.1 s when quiet)
  });

  it('a sweep says when the next job expires, so the next round can come then', async () => {
    const later = await mf.workflow.start({ taskQueue: 'compat', workflowName: 'closed', expire: 30 });
    await later.result();
    const engine = await mf.client.engine(mf.appId);
    const { nextInMs, held } = await deleteExpiredJobs(engine, 'test-sweep-next', 500);
    expect(held).toBe(true);
    // the soonest expiry among the app's jobs: this one's (30 s) unless an earlier test left a sooner one
    expect(nextInMs).not.toBeNull();
    expect(nextInMs!).toBeGreaterThan(0);
    expect(nextInMs!).toBeLessThanOrEqual(30_000);
  });

  it('deploys and activates numeric versions only', async () => {
    await expect(mf.client.deployAndActivate(mf.appId, '2')).resolves.toBeUndefined();
    await expect(mf.client.deployAndActivate(mf.appId, 'v2')).rejects.toThrow('Invalid version number');
  });
});

describe('mf.shutdown()', () => {
  it('closes what its instance opened and leaves other instances running', async () => {
    const appId = uniqueAppId('scopes');
    const first = await MemFlow.init({ appId, engine: { connection: testConnection() } });
    const second = await MemFlow.init({ appId: `${appId}-b`, engine: { connection: testConnection() } });
    await second.worker.create({ taskQueue: 'compat', workflow: closed });
    await first.shutdown();
    const handle = await second.workflow.start({ taskQueue: 'compat', workflowName: 'closed' });
    expect(await handle.result()).toBe('done');
    await second.shutdown();
  });
});
