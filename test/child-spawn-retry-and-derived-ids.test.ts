/**
 * Review findings on child workflows:
 *
 * 1. retryThread forgets a failed spawn (DuplicateJobError) by DELETEing its journal row, even when the
 *    workflow caught that failure and went on. The re-run replays the recorded batches: the batch
 *    that delivered the spawn failure now delivers nothing, the catch never runs, and the next
 *    recorded batch holds a call the function has not made: a false NonDeterminismError, and the job
 *    is parked (code 593) although its code never changed.
 *
 * 2. Default ids derived from a long workflow id collide or are refused: the default child id is
 *    `-<name>-<parentId>-<thread>-<seq>` cut to 255 characters, so with a long parent id every child
 *    gets the same id (the second spawn is a DuplicateJobError); execHook's default signal id
 *    `memflow-hook-<workflowId>-<thread>-<seq>` goes over 255 bytes and validateId throws a
 *    ValidationError inside the workflow (which fails it at once, as fatal).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemFlow, type MemFlowInstance } from '../src/index.js';
import { testConnection, uniqueAppId } from './support/backend.js';

const acts = MemFlow.workflow.proxyActivities({
  activities: {
    async step() {
      return 'stepped';
    },
  },
});

export async function kidNoop(n: number): Promise<number> {
  return n;
}

let failFirstRun = true;
export async function catchesCollision(): Promise<string> {
  const { workflowId } = MemFlow.workflow.getContext();
  let child: string;
  try {
    // this id is taken (it is our own): the spawn fails with DuplicateJobError, and we handle it
    child = await MemFlow.workflow.execChild<string>({ taskQueue: 'review', workflowName: 'kidNoop', workflowId });
  } catch {
    child = 'collided';
  }
  await acts.step();
  if (failFirstRun) {
    failFirstRun = false;
    throw new Error('transient failure after the collision was handled');
  }
  return child;
}

export async function twoDefaultChildren(): Promise<number[]> {
  const a = await MemFlow.workflow.execChild<number>({ taskQueue: 'review', workflowName: 'kidNoop', args: [1] });
  const b = await MemFlow.workflow.execChild<number>({ taskQueue: 'review', workflowName: 'kidNoop', args: [2] });
  return [a, b];
}

export async function hookReply(_x: string, done: { signal: string }) {
  await MemFlow.workflow.signal(done.signal, 'pong');
}
export async function execHookDefault(): Promise<unknown> {
  return MemFlow.workflow.execHook({ taskQueue: 'review', workflowName: 'hookReply', args: ['x'] });
}

describe('child workflows', () => {
  let mf: MemFlowInstance;
  beforeAll(async () => {
    mf = await MemFlow.init({ appId: uniqueAppId('rv-kids'), engine: { connection: testConnection() } });
    for (const workflow of [kidNoop, catchesCollision, twoDefaultChildren, hookReply, execHookDefault]) {
      await mf.worker.create({ taskQueue: 'review', workflow });
    }
  });
  afterAll(() => mf.shutdown());

  it('a workflow that caught a spawn collision and then failed is re-run, not parked', async () => {
    const h = await mf.workflow.start({
      taskQueue: 'review',
      workflowName: 'catchesCollision',
      config: { maximumAttempts: 2, backoffCoefficient: 1, maximumInterval: '1 second' },
    });
    const outcome = await h.result().catch((e: Error & { code?: number }) => `${e.code} ${e.message}`);
    expect(outcome).toBe('collided');
  }, 20_000);

  const longId = () => `order-${'x'.repeat(240)}-${Math.random().toString(36).slice(2, 8)}`;

  it('two default-id children of a parent with a long (valid) id', async () => {
    const h = await mf.workflow.start({ taskQueue: 'review', workflowName: 'twoDefaultChildren', workflowId: longId(), config: { maximumAttempts: 1, maximumInterval: '1 second', backoffCoefficient: 1 } });
    const outcome = await h.result().catch((e: Error & { code?: number }) => `${e.code} ${e.message}`);
    expect(outcome).toEqual([1, 2]);
  }, 20_000);

  it('execHook with its default signal id in a job with a long (valid) id', async () => {
    const h = await mf.workflow.start({ taskQueue: 'review', workflowName: 'execHookDefault', workflowId: longId() });
    const outcome = await h.result().catch((e: Error & { code?: number }) => `${e.code} ${e.message}`);
    expect(outcome).toBe('pong');
  }, 20_000);
});
