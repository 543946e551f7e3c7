/** Child workflows: their own job and context, awaited or not, and upstream's collision semantics. */
import { MemFlow, type MemFlowInstance } from 'hotmesh';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConnection, uniqueAppId } from './support/backend.js';

export async function childWork(name: string) {
  const ctx = await MemFlow.workflow.context();
  await ctx.set({ child: name });
  await MemFlow.workflow.sleepFor('20 milliseconds');
  return `child of ${name}`;
}

export async function failingChild() {
  throw new MemFlow.Errors.MemFlowFatalError('child gave up');
}

export async function parent(name: string) {
  const ctx = await MemFlow.workflow.context();
  await ctx.set({ parent: name });
  const [awaited, startedId] = await Promise.all([
    MemFlow.workflow.execChild<string>({ taskQueue: 'kids', workflowName: 'childWork', args: [name] }),
    MemFlow.workflow.startChild({ taskQueue: 'kids', workflowName: 'childWork', args: ['started'], workflowId: `${name}-started` }),
  ]);
  return { awaited, startedId };
}

export async function parentOfFailure() {
  try {
    await MemFlow.workflow.execChild({ taskQueue: 'kids', workflowName: 'failingChild' });
    return 'not reached';
  } catch (err) {
    return { name: (err as Error).name, message: (err as Error).message };
  }
}

/** Runs of `collision` (it makes one durable call, which fails every time: no replays to count). */
let collisionRuns = 0;
export async function collision() {
  collisionRuns++;
  const { workflowId } = MemFlow.workflow.getContext();
  return MemFlow.workflow.execChild({
    taskQueue: 'kids',
    workflowName: 'childWork',
    workflowId,
    config: { maximumAttempts: 2, maximumInterval: '1 second', backoffCoefficient: 1 },
  });
}

/**
 * Every invocation of `fixable`, with the child id it asked for. Invocations include replays, so the
 * test compares the whole sequence rather than a count: two runs that collide (each a re-run after
 * the failed spawn), one that spawns the fixed child, one replay once that child has finished.
 */
const fixInvocations: Array<{ at: number; childId: string }> = [];
export async function fixable() {
  const { workflowId } = MemFlow.workflow.getContext();
  const childId = fixInvocations.length < 2 ? workflowId : `${workflowId}-fixed`;
  fixInvocations.push({ at: Date.now(), childId });
  await MemFlow.workflow.execChild({ taskQueue: 'kids', workflowName: 'childWork', args: ['x'], workflowId: childId });
  return 'Hello, FIXED!';
}

describe('child workflows', () => {
  let mf: MemFlowInstance;
  beforeAll(async () => {
    mf = await MemFlow.init({ appId: uniqueAppId('children'), engine: { connection: testConnection() } });
    for (const workflow of [childWork, failingChild, parent, parentOfFailure, collision, fixable]) {
      await mf.worker.create({ taskQueue: 'kids', workflow });
    }
  });
  afterAll(() => mf.shutdown());

  it('awaits one child and starts another; each child keeps its own context', async () => {
    const handle = await mf.workflow.start({ taskQueue: 'kids', workflowName: 'parent', args: ['P1'], workflowId: `p1-${Date.now()}` });
    const out = await handle.result();
    expect(out).toEqual({ awaited: 'child of P1', startedId: 'P1-started' });
    expect(await handle.context().get()).toEqual({ parent: 'P1' });
    const started = await mf.workflow.getHandle('kids', 'childWork', 'P1-started');
    expect(await started.result()).toBe('child of started');
    expect(await started.context().get()).toEqual({ child: 'started' });
  });

  it("throws a failed child's error into the parent by its code", async () => {
    const handle = await mf.workflow.start({ taskQueue: 'kids', workflowName: 'parentOfFailure' });
    expect(await handle.result()).toEqual({ name: 'MemFlowFatalError', message: 'child gave up' });
  });

  it('fails a parent whose child id collides, after re-running it per its config', async () => {
    const handle = await mf.workflow.start({
      taskQueue: 'kids',
      workflowName: 'collision',
      workflowId: `collision-${Date.now()}`,
      config: { maximumAttempts: 2, maximumInterval: '1 second', backoffCoefficient: 1 },
    });
    collisionRuns = 0;
    const err = await handle.result().catch((e) => e);
    expect(err.message).toBe(`Duplicate job: ${handle.workflowId}`);
    expect(err.code).toBe(597); // retries ran out
    expect(collisionRuns, 'runs: the first and maximumAttempts (2) re-runs').toBe(3);
  });

  it('re-runs a parent whose child spawn failed, and succeeds once the code picks a fresh id', async () => {
    fixInvocations.length = 0;
    const handle = await mf.workflow.start({
      taskQueue: 'kids',
      workflowName: 'fixable',
      config: { maximumAttempts: 3, maximumInterval: '1 second', backoffCoefficient: 1 },
    });
    const id = handle.workflowId;
    expect(await handle.result({ throwOnError: false })).toBe('Hello, FIXED!');
    // exactly two re-runs after the collisions, then the spawn, then one replay when the child is done
    expect(fixInvocations.map((r) => r.childId)).toEqual([id, id, `${id}-fixed`, `${id}-fixed`]);
    // each re-run waited out the workflow's retry delay (min(1^(n-1), 1 s) = 1 s)
    const [first, second, third] = fixInvocations.map((r) => r.at) as [number, number, number];
    expect(second - first).toBeGreaterThanOrEqual(950);
    expect(third - second).toBeGreaterThanOrEqual(950);
    // the side effect: one child job, the fixed one (the collisions created nothing)
    const engine = await mf.client.engine(mf.appId);
    const jobs = await engine.driver.query<{ id: string }>(`SELECT id FROM ${engine.sqlSchema}.jobs WHERE id LIKE $1 ORDER BY id`, [`${id}%`]);
    expect(jobs.rows.map((r) => r.id)).toEqual([id, `${id}-fixed`]);
  });
});
