/**
 * A hook's own options (memflow-api.md §2.3): `search: { data }` is written on the job with the hook's
 * start, and `config` is the hook's own retry policy. Both were validated and then dropped (a
 * black-box pass): the fields never appeared, and a failing hook retried by its job's policy.
 */
import { MemFlow, MemFlowFatalError, type MemFlowInstance } from 'hotmesh';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, testConnection, uniqueAppId } from './support/backend.js';

const runs = new Map<string, number[]>();

export async function host() {
  await MemFlow.workflow.hook({ taskQueue: 'hookopts', workflowName: 'noop', search: { data: { fromInside: 'yes' } } });
  await MemFlow.workflow.waitFor('never');
}

export async function noop() {
  return 'ok';
}

export async function failing(tag: string) {
  const list = runs.get(tag) ?? [];
  list.push(Date.now());
  runs.set(tag, list);
  throw new Error(`hook ${tag} fails`);
}

export async function fatalHook(_x: string, _reply: unknown) {
  throw new MemFlowFatalError('the hook gives up');
}

export async function flakyHook(_x: string, _reply: unknown) {
  throw new Error('the hook keeps failing');
}

export async function waitsOnHooks() {
  const outcome: Record<string, unknown> = {};
  for (const [key, workflowName, config] of [
    ['fatal', 'fatalHook', undefined],
    ['maxed', 'flakyHook', { maximumAttempts: 1, backoffCoefficient: 1, maximumInterval: '1s' }],
    ['plain', 'fatalHook', { throwOnError: false }],
  ] as const) {
    try {
      outcome[key] = await MemFlow.workflow.execHook({ taskQueue: 'hookopts', workflowName, args: ['x'], config });
    } catch (err: any) {
      if (MemFlow.didInterrupt(err) && !err.code) throw err;
      outcome[key] = { name: err.name, code: err.code, message: err.message };
    }
  }
  return outcome;
}

export async function answersThenFails(_x: string, reply: { signal: string }) {
  await MemFlow.workflow.signal(reply.signal, { ok: 'first' });
  throw new MemFlowFatalError('fails after it answered');
}

export async function answers(_x: string, reply: { signal: string }) {
  await MemFlow.workflow.signal(reply.signal, { ok: 'second' });
}

/** Two execHooks on one fixed signal id: the first hook answers, then fails; the second answers. */
export async function sameSignalTwice() {
  const first = await MemFlow.workflow.execHook({ taskQueue: 'hookopts', workflowName: 'answersThenFails', args: ['x'], signalId: 'done' });
  await MemFlow.workflow.sleepFor('1 second'); // the first hook has failed by now
  const second = await MemFlow.workflow.execHook({ taskQueue: 'hookopts', workflowName: 'answers', args: ['x'], signalId: 'done' });
  return { first, second };
}

describe('hook options', () => {
  let mf: MemFlowInstance;
  beforeAll(async () => {
    mf = await MemFlow.init({ appId: uniqueAppId('hookopts'), engine: { connection: testConnection() } });
    for (const workflow of [host, noop, failing, fatalHook, flakyHook, waitsOnHooks, answersThenFails, answers, sameSignalTwice]) await mf.worker.create({ taskQueue: 'hookopts', workflow });
  });
  afterAll(() => mf.shutdown());

  it('writes search.data on the job, from outside and from inside a workflow', async () => {
    const handle = await mf.workflow.start({ taskQueue: 'hookopts', workflowName: 'host', workflowId: `host-${MemFlow.guid()}` });
    const hotMesh = await mf.client.getHotMeshClient('hookopts', mf.appId);
    await eventually(async () => (await MemFlow.Search.findAllUserData(handle.workflowId, hotMesh)).fromInside === 'yes');
    await handle.hook({ taskQueue: 'hookopts', workflowName: 'noop', search: { data: { fromOutside: 'also', n: 3 as unknown as string } } });
    expect(await MemFlow.Search.findAllUserData(handle.workflowId, hotMesh)).toEqual({ fromInside: 'yes', fromOutside: 'also', n: '3' });
    // refused before any SQL, naming the field
    await expect(handle.hook({ taskQueue: 'hookopts', workflowName: 'noop', search: { data: [] as any } })).rejects.toMatchObject({
      kind: 'ValidationError',
      message: expect.stringContaining('search.data'),
    });
  });

  it('retries a failing hook by its own config, not by its job’s policy', async () => {
    // the job's policy (the default: 3 retries, backoff 10) would run it again after 1 s, then 10 s
    const handle = await mf.workflow.start({ taskQueue: 'hookopts', workflowName: 'host', workflowId: `cfg-${MemFlow.guid()}` });
    const tag = MemFlow.guid();
    await handle.hook({
      taskQueue: 'hookopts',
      workflowName: 'failing',
      args: [tag],
      config: { maximumAttempts: 2, backoffCoefficient: 1, maximumInterval: '1s' },
    });
    await eventually(async () => (runs.get(tag)?.length ?? 0) >= 3, 8_000);
    const times = runs.get(tag)!;
    // two retries, each about 1 s after the run before (backoff 1^k s), then no more
    expect(times[2]! - times[0]!).toBeLessThan(5_000);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(runs.get(tag)).toHaveLength(3);
  });

  it('execHook throws its hook’s failure once the hook fails for good, instead of waiting forever', async () => {
    const handle = await mf.workflow.start({ taskQueue: 'hookopts', workflowName: 'waitsOnHooks', workflowId: `eh-${MemFlow.guid()}` });
    expect(await handle.result()).toEqual({
      fatal: { name: 'MemFlowFatalError', code: 598, message: 'the hook gives up' },
      maxed: { name: 'MemFlowMaxedError', code: 597, message: 'the hook keeps failing' },
      // throwOnError: false, as execChild: the failure as a plain object
      plain: expect.objectContaining({ code: 598, message: 'the hook gives up' }),
    });
  });

  it('a hook that answered and then fails sends no failure: a later execHook on the same signal id gets its own answer', async () => {
    const handle = await mf.workflow.start({ taskQueue: 'hookopts', workflowName: 'sameSignalTwice', workflowId: `twice-${MemFlow.guid()}` });
    expect(await handle.result()).toEqual({ first: { ok: 'first' }, second: { ok: 'second' } });
  });

  it('a hook’s config overrides its job’s policy field by field', async () => {
    // the job allows 1 retry; the hook sets only the backoff: 1 retry, 1 s later (the default would be 3)
    const handle = await mf.workflow.start({
      taskQueue: 'hookopts',
      workflowName: 'host',
      workflowId: `merge-${MemFlow.guid()}`,
      config: { maximumAttempts: 1 },
    });
    const tag = MemFlow.guid();
    await handle.hook({ taskQueue: 'hookopts', workflowName: 'failing', args: [tag], config: { backoffCoefficient: 1 } });
    await eventually(async () => (runs.get(tag)?.length ?? 0) >= 2, 8_000);
    await new Promise((r) => setTimeout(r, 2_500));
    expect(runs.get(tag)).toHaveLength(2);
  });

  it('refuses hook search data that cannot be stored, before any SQL', async () => {
    const handle = await mf.workflow.start({ taskQueue: 'hookopts', workflowName: 'host', workflowId: `nul-${MemFlow.guid()}` });
    await expect(handle.hook({ taskQueue: 'hookopts', workflowName: 'noop', search: { data: { a: 'x\u0000y' } } })).rejects.toMatchObject({
      kind: 'ValidationError',
      message: expect.stringContaining('search'),
    });
  });
});
