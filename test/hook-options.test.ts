/**
 * A hook's own options (memflow-api.md §2.3): `search: { data }` is written on the job with the hook's
 * start, and `config` is the hook's own retry policy. Both were validated and then dropped (a
 * black-box pass): the fields never appeared, and a failing hook retried by its job's policy.
 */
import { MemFlow, MemFlowFatalError, type MemFlowInstance, MemFlowMaxedError } from 'hotmesh';
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
      // the typed class itself (a black-box pass: a plain Error named MemFlowFatalError came back)
      const typed = key === 'fatal' ? err instanceof MemFlowFatalError : err instanceof MemFlowMaxedError;
      outcome[key] = { name: err.name, code: err.code, message: err.message, typed, didInterrupt: MemFlow.didInterrupt(err) };
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

/** Hooks that wait for good, and the jobs whose execHook waits on them (from the hook's reply marker). */
const stalledFor = new Set<string>();

export async function stalls(reply: { job: string }) {
  stalledFor.add(reply.job);
  await MemFlow.workflow.waitFor('never');
}

/** execHook on a hook of another job (`hostId`), which is then interrupted or terminated. */
export async function waitsOnOtherJob(hostId: string) {
  try {
    return await MemFlow.workflow.execHook({ taskQueue: 'hookopts', workflowName: 'stalls', workflowId: hostId, args: [] });
  } catch (err: any) {
    if (MemFlow.didInterrupt(err) && !err.code) throw err;
    return { name: err.name, code: err.code, message: err.message };
  }
}

/** execHook on a hook of its own job; the job is interrupted while it waits. */
export async function waitsOnOwnHook() {
  return MemFlow.workflow.execHook({ taskQueue: 'hookopts', workflowName: 'stalls', args: [] });
}

/** Waits on a hook of `otherId` (which in turn waits on a hook of this job): for the deadlock case. */
export async function waitsOnPartner(otherId: string) {
  await MemFlow.workflow.sleepFor('1 second'); // both jobs exist before either starts its hook
  return waitsOnOtherJob(otherId);
}

/** Answers its execHook, starts over, then fails for good: the waiter was answered, nothing more goes to it. */
export async function answersLoopsFails(n: number, reply?: { signal: string }) {
  if (n === 0) {
    await MemFlow.workflow.signal(reply!.signal, { ok: 'answered' });
    return MemFlow.workflow.continueAsNew(1);
  }
  throw new MemFlowFatalError('failed after it answered and started over');
}

export async function waitsOnAnsweringLooper() {
  const answer = await MemFlow.workflow.execHook({ taskQueue: 'hookopts', workflowName: 'answersLoopsFails', args: [0] });
  await MemFlow.workflow.sleepFor('2 seconds'); // the hook starts over and fails meanwhile
  return answer;
}

/** A hook that starts over twice (continueAsNew, leaving its reply marker out), then answers. */
export async function loopsThenAnswers(n: number, reply?: { signal: string }) {
  if (n < 2) return MemFlow.workflow.continueAsNew(n + 1);
  await MemFlow.workflow.signal(reply!.signal, { rounds: n });
}

/** A hook that starts over once, then fails for good. */
export async function loopsThenFails(n: number) {
  if (n < 1) return MemFlow.workflow.continueAsNew(n + 1);
  throw new MemFlowFatalError('gave up after a restart');
}

export async function waitsOnLoopingHooks() {
  const answered = await MemFlow.workflow.execHook({ taskQueue: 'hookopts', workflowName: 'loopsThenAnswers', args: [0] });
  const failed = await MemFlow.workflow
    .execHook({ taskQueue: 'hookopts', workflowName: 'loopsThenFails', args: [0] })
    .catch((err: any) => {
      if (MemFlow.didInterrupt(err) && !err.code) throw err;
      return { code: err.code, message: err.message };
    });
  return { answered, failed };
}

/** `promise`, or a rejection naming `what` after `ms` (a waiter that never wakes fails here, not by the test's timeout). */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: still waiting after ${ms} ms`)), ms)));
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

describe('hook options', () => {
  let mf: MemFlowInstance;
  beforeAll(async () => {
    mf = await MemFlow.init({ appId: uniqueAppId('hookopts'), engine: { connection: testConnection() } });
    for (const workflow of [host, noop, failing, fatalHook, flakyHook, waitsOnHooks, answersThenFails, answers, sameSignalTwice, stalls, waitsOnOtherJob, waitsOnOwnHook, loopsThenAnswers, loopsThenFails, waitsOnLoopingHooks, waitsOnPartner, answersLoopsFails, waitsOnAnsweringLooper]) await mf.worker.create({ taskQueue: 'hookopts', workflow });
  });
  afterAll(() => mf.shutdown());

  /** Signals kept for `jobId` that no waiter took (a failure sent where nothing will read it). */
  async function buffered(jobId: string): Promise<number> {
    const engine = await mf.client.engine(mf.appId);
    const res = await engine.driver.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${engine.sqlSchema}.signals WHERE job_id = $1`, [jobId]);
    return res.rows[0]!.n;
  }

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
    await eventually(async () => (runs.get(tag)?.length ?? 0) >= 3, 20_000);
    const times = runs.get(tag)!;
    // two retries, each about 1 s after the run before (backoff 1^k s), then no more
    expect(times[2]! - times[0]!).toBeLessThan(8_000); // the job's policy: 1 s, then 10 s
    await new Promise((r) => setTimeout(r, 1_500));
    expect(runs.get(tag)).toHaveLength(3);
  });

  it('execHook throws its hook’s failure once the hook fails for good, instead of waiting forever', async () => {
    const handle = await mf.workflow.start({ taskQueue: 'hookopts', workflowName: 'waitsOnHooks', workflowId: `eh-${MemFlow.guid()}` });
    expect(await handle.result()).toEqual({
      fatal: { name: 'MemFlowFatalError', code: 598, message: 'the hook gives up', typed: true, didInterrupt: true },
      maxed: { name: 'MemFlowMaxedError', code: 597, message: 'the hook keeps failing', typed: true, didInterrupt: true },
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

  for (const how of ['interrupt', 'terminate'] as const) {
    it(`execHook on another job's hook throws once that job is ${how === 'interrupt' ? 'interrupted' : 'terminated'}, instead of waiting forever`, async () => {
      const host = await mf.workflow.start({ taskQueue: 'hookopts', workflowName: 'host', workflowId: `${how}-host-${MemFlow.guid()}` });
      const waiter = await mf.workflow.start({ taskQueue: 'hookopts', workflowName: 'waitsOnOtherJob', args: [host.workflowId], workflowId: `${how}-waiter-${MemFlow.guid()}` });
      await eventually(async () => stalledFor.has(waiter.workflowId), 10_000);
      if (how === 'interrupt') await host.interrupt({ reason: 'the host is stopped' });
      else await host.terminate({ reason: 'the host is stopped' });
      expect(await within(waiter.result(), 10_000, 'the waiting execHook')).toEqual({
        name: expect.any(String),
        code: 410,
        message: 'the host is stopped',
      });
    });
  }

  it('an interrupt of the job whose own execHook waits on its hook ends both, with nothing left waiting', async () => {
    const handle = await mf.workflow.start({ taskQueue: 'hookopts', workflowName: 'waitsOnOwnHook', workflowId: `own-${MemFlow.guid()}` });
    await eventually(async () => stalledFor.has(handle.workflowId), 10_000);
    await handle.interrupt();
    await expect(within(handle.result(), 10_000, 'result()')).rejects.toMatchObject({ code: 410 });
    const waiting = await mf.workflow.list({ status: 'waiting' });
    expect(waiting.items.map((w: { workflowId: string }) => w.workflowId)).not.toContain(handle.workflowId);
    expect(await buffered(handle.workflowId), 'a failure sent to the ended job itself').toBe(0);
  });

  it('a hook that starts over with continueAsNew still answers its execHook, or fails it', async () => {
    const handle = await mf.workflow.start({ taskQueue: 'hookopts', workflowName: 'waitsOnLoopingHooks', workflowId: `loop-${MemFlow.guid()}` });
    expect(await within(handle.result(), 20_000, 'the execHook of a hook that continued as new')).toEqual({
      answered: { rounds: 2 },
      failed: { code: 598, message: 'gave up after a restart' },
    });
  });

  it('jobs whose execHooks wait on each other, interrupted at once: every interrupt succeeds (no deadlock), nothing is left buffered', async () => {
    // five pairs at once: without the ordered lock (migration 0063) one pair in four deadlocked
    const pairs = await Promise.all(
      Array.from({ length: 5 }, async () => {
        const [aId, bId] = [`pair-a-${MemFlow.guid()}`, `pair-b-${MemFlow.guid()}`];
        const a = await mf.workflow.start({ taskQueue: 'hookopts', workflowName: 'waitsOnPartner', args: [bId], workflowId: aId });
        const b = await mf.workflow.start({ taskQueue: 'hookopts', workflowName: 'waitsOnPartner', args: [aId], workflowId: bId });
        return [a, b] as const;
      }),
    );
    await eventually(async () => pairs.every(([a, b]) => stalledFor.has(a.workflowId) && stalledFor.has(b.workflowId)), 15_000);
    const outcomes = await Promise.allSettled(pairs.flatMap(([a, b]) => [a.interrupt(), b.interrupt()]));
    expect(outcomes.map((o) => (o.status === 'rejected' ? String(o.reason) : 'ok'))).toEqual(Array(10).fill('ok'));
    // each job was interrupted, or first heard of its partner's interruption (its execHook threw 410,
    // which waitsOnOtherJob returns) and completed before its own interrupt came: 410 either way
    for (const h of pairs.flat()) {
      const outcome = await within(h.result(), 10_000, 'result()').catch((e: unknown) => e);
      expect(outcome).toMatchObject({ code: 410 });
    }
    // in each pair the first interrupt told the other job, which the second then ended (that one signal
    // is never read); the second found its waiter ended and sent nothing
    for (const [a, b] of pairs) expect((await buffered(a.workflowId)) + (await buffered(b.workflowId))).toBeLessThanOrEqual(1);
  });

  it('a hook that answered, started over and then failed sends nothing more to its execHook', async () => {
    const handle = await mf.workflow.start({ taskQueue: 'hookopts', workflowName: 'waitsOnAnsweringLooper', workflowId: `answered-${MemFlow.guid()}` });
    expect(await within(handle.result(), 15_000, 'result()')).toEqual({ ok: 'answered' });
    expect(await buffered(handle.workflowId), 'a failure sent after the answer').toBe(0);
  });
});
