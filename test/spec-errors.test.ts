/** §7 fatal, unknown, retry, collision, sleep (interrupt 410); §2.2 DuplicateJobError; §3 result options. */
import { Client, MemFlow, Worker, WorkflowStateError } from 'hotmesh';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, uniqueAppId } from './support/backend.js';
import { sleep, specConnection } from './support/spec/common.js';

const namespace = uniqueAppId('specerr');
const taskQueue = 'errors';
let retryCount = 0;
let unknownCount = 0;
let collisionCount = 0;
/** Executions of slowActivity so far: a test interrupts once the one it started is running. */
let slowStarts = 0;

const acts = MemFlow.workflow.proxyActivities({
  activities: {
    async myFatalActivity(name: string) {
      throw new MemFlow.Errors.MemFlowFatalError(`stop-retrying-please-${name}`);
    },
    async flakyCount() {
      retryCount++;
      if (retryCount < 3) throw new Error(`fail ${retryCount}`);
      return retryCount;
    },
    async slowActivity(name: string) {
      slowStarts++;
      await sleep(5000);
      return `Hello, ${name}!`;
    },
    async quickGreet(name: string) {
      return `Hello, ${name}!`;
    },
    async alwaysFails() {
      throw new Error('always-fails');
    },
  },
  retryPolicy: { maximumAttempts: 2, maximumInterval: '1s', backoffCoefficient: 1 },
});

export async function fatalWf(name: string) {
  try {
    return await acts.myFatalActivity(name);
  } catch (err) {
    throw err;
  }
}
export async function retryWf() {
  return acts.flakyCount();
}
export async function unknownWf() {
  unknownCount++;
  if (unknownCount <= 3) throw new Error('recurring-test-error');
  return 3;
}
export async function alwaysThrows() {
  throw new Error('recurring-test-error');
}
export async function sleepyWf(name: string) {
  const g = await acts.slowActivity(name);
  return g;
}
export async function coldWf(name: string) {
  const g = await acts.quickGreet(name);
  await MemFlow.workflow.sleepFor('1 second');
  await MemFlow.workflow.sleepFor('2 seconds');
  return g;
}
export async function noThrowProxy() {
  const { alwaysFails } = MemFlow.workflow.proxyActivities<{ alwaysFails: () => Promise<string> }>({
    retryPolicy: { maximumAttempts: 1, maximumInterval: '1s', backoffCoefficient: 1, throwOnError: false },
  });
  const res: any = await alwaysFails();
  return { isError: res instanceof Error, message: res.message, hasStack: typeof res.stack === 'string', code: res.code };
}
export async function childHello(name: string) {
  return `Hello, ${name}!`;
}
export async function collisionWf(name: string) {
  const id = MemFlow.workflow.getContext().workflowId;
  return MemFlow.workflow.execChild<string>({
    taskQueue,
    workflowName: 'childHello',
    args: [name],
    workflowId: id, // its own id: always collides
  });
}
export async function fixableWf(name: string) {
  collisionCount++;
  const id = MemFlow.workflow.getContext().workflowId;
  return MemFlow.workflow.execChild<string>({
    taskQueue,
    workflowName: 'childHello',
    args: [name],
    workflowId: collisionCount < 3 ? id : `${id}-fresh`,
  });
}

describe('spec §7 error scenarios', () => {
  let client: Client;
  beforeAll(async () => {
    const connection = specConnection();
    client = new Client({ connection });
    for (const workflow of [fatalWf, retryWf, unknownWf, alwaysThrows, sleepyWf, coldWf, noThrowProxy, childHello, collisionWf, fixableWf]) {
      await Worker.create({ connection, namespace, taskQueue, workflow });
    }
  });
  afterAll(() => MemFlow.shutdown());

  const start = (workflowName: string, extra: Record<string, unknown> = {}) =>
    client.workflow.start({ namespace, taskQueue, workflowName, args: ['HotMesh'], workflowId: `${workflowName}-${MemFlow.guid()}`, expire: 120, ...extra });

  it('fatal: result() rejects with the message and code 598', async () => {
    const handle = await start('fatalWf');
    const err: any = await handle.result().catch((e) => e);
    expect(err.message).toBe('stop-retrying-please-HotMesh');
    expect(err.code).toBe(598);
    expect(err.job_id).toBe(handle.workflowId);
  });

  it('retry: maximumAttempts 2 → third execution succeeds, result 3', async () => {
    retryCount = 0;
    const handle = await start('retryWf');
    expect(await handle.result()).toBe(3);
    expect(retryCount, 'executions of flakyCount').toBe(3);
  });

  it('unknown: workflow throwing 3 times with maximumAttempts 4 returns 3', async () => {
    unknownCount = 0;
    const handle = await start('unknownWf', { config: { maximumAttempts: 4, backoffCoefficient: 1, maximumInterval: '1s' } });
    expect(await handle.result()).toBe(3);
    expect(unknownCount, 'runs: three failures, then the one that returns').toBe(4);
  });

  it('unknown: with maximumAttempts 2 it rejects with recurring-test-error, 597 and a stack', async () => {
    const handle = await start('alwaysThrows', { config: { maximumAttempts: 2, backoffCoefficient: 1, maximumInterval: '1s' } });
    const err: any = await handle.result().catch((e) => e);
    expect(err.message).toBe('recurring-test-error');
    expect(err.code).toBe(597);
    expect(typeof err.stack).toBe('string');
    expect(err.stack.length).toBeGreaterThan(0);
  });

  it('result({ throwOnError: false }) resolves with the failure object', async () => {
    const handle = await start('alwaysThrows', { config: { maximumAttempts: 1, backoffCoefficient: 1, maximumInterval: '1s' } });
    const res: any = await handle.result({ throwOnError: false });
    expect(res.message).toBe('recurring-test-error');
    expect(res.code).toBe(597);
    expect(res.job_id).toBe(handle.workflowId);
  });

  it('proxy with retryPolicy.throwOnError:false returns a plain $error object', async () => {
    const handle = await start('noThrowProxy');
    const res: any = await handle.result();
    expect(res.isError).toBe(false);
    expect(res.message).toBe('always-fails');
    expect(res.hasStack).toBe(true);
  });

  it('sleep: hotMesh.interrupt(…, {descend, expire}) → result rejects with code 410 and job_id; the other finishes', async () => {
    const before = slowStarts;
    const h1 = await start('sleepyWf');
    const h2 = await start('coldWf', { args: ['ColdMush'] });
    await eventually(async () => slowStarts > before); // h1 is inside its 5 s activity
    const topic = `${h1.hotMesh.appId}.execute`;
    await h1.hotMesh.interrupt(topic, h1.workflowId, { descend: true, expire: 1 });
    const err: any = await h1.result().catch((e) => e);
    expect(err.job_id).toBe(h1.workflowId);
    expect(err.code).toBe(410);
    expect(await h2.result()).toBe('Hello, ColdMush!');
  });

  it('interrupting an interrupted job throws "already completed" unless suppress', async () => {
    const before = slowStarts;
    const h = await start('sleepyWf');
    await eventually(async () => slowStarts > before); // running, inside its 5 s activity
    await h.interrupt();
    const err: any = await h.result().catch((e) => e);
    expect(err.code).toBe(410);
    expect(err.message).toBe(`job [${h.workflowId}] interrupted`);
    await expect(h.interrupt()).rejects.toThrow(`Job ${h.workflowId} already completed`);
    // typed, as every action on a job in a state it does not apply to (it was a plain Error)
    const again = await h.interrupt().catch((e) => e);
    expect(again).toBeInstanceOf(WorkflowStateError);
    expect(again).toMatchObject({ jobId: h.workflowId, action: 'interrupt', state: 'interrupted' });
    await expect(h.interrupt({ suppress: true })).resolves.toBeDefined();
  });

  it('duplicate start rejects with DuplicateJobError `Duplicate job: <id>` carrying jobId', async () => {
    const h = await start('childHello');
    const err: any = await start('childHello', { workflowId: h.workflowId }).catch((e) => e);
    expect(err).toBeInstanceOf(MemFlow.Errors.DuplicateJobError);
    expect(err.message).toBe(`Duplicate job: ${h.workflowId}`);
    expect(err.jobId).toBe(h.workflowId);
  });

  it('collision: execChild with the parent id rejects with exactly `Duplicate job: <id>`', async () => {
    const h = await start('collisionWf', { config: { maximumAttempts: 3, maximumInterval: '1 second', backoffCoefficient: 1 } });
    const err: any = await h.result().catch((e) => e);
    expect(err.message).toBe(`Duplicate job: ${h.workflowId}`);
  }, 15_000);

  it('collision: fixable example succeeds once a fresh id is used', async () => {
    collisionCount = 0;
    const h = await start('fixableWf', { args: ['FIXED'], config: { maximumAttempts: 3, maximumInterval: '1 second', backoffCoefficient: 1 } });
    expect(await h.result({ throwOnError: false })).toBe('Hello, FIXED!');
  }, 15_000);
});
