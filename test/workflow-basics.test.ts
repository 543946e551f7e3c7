import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemFlow, type MemFlowInstance, WorkflowFailedError } from '../src/index.js';
import { testConnection, uniqueAppId } from './support/backend.js';
import { untilWaiting } from './support/job-state.js';

const calls = { greet: 0, flaky: 0 };
const acts = MemFlow.workflow.proxyActivities({
  activities: {
    async greet(name: string) {
      calls.greet++;
      return `Hello, ${name}!`;
    },
    async flaky(n: number) {
      calls.flaky++;
      if (calls.flaky < n) throw new Error(`flaky failure ${calls.flaky}`);
      return calls.flaky;
    },
    async fatal() {
      throw new MemFlow.Errors.MemFlowFatalError('stop-retrying-please');
    },
  },
  retryPolicy: { maximumAttempts: 2, maximumInterval: '1s', backoffCoefficient: 1 },
});

async function sequence(n: number) {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(await acts.greet(`#${i}`));
  return out;
}
async function parallel() {
  return Promise.all([acts.greet('a'), acts.greet('b'), MemFlow.workflow.sleepFor('50 milliseconds')]);
}
async function retrying() {
  return acts.flaky(3);
}
async function failing() {
  await acts.fatal();
}
async function waiting() {
  const [x, y] = await Promise.all([MemFlow.workflow.waitFor<{ v: number }>('x'), MemFlow.workflow.waitFor<{ v: number }>('y')]);
  return x.v + y.v;
}
/** Not async: a plain value, and a throw before any promise (the runtime turns both into the run's outcome). */
function plainValue(n: number) {
  return n * 2;
}
function throwsAtOnce(): never {
  throw new MemFlow.Errors.MemFlowFatalError('thrown before any await');
}
async function randomness() {
  const r1 = MemFlow.workflow.random();
  await acts.greet('r');
  const r2 = MemFlow.workflow.random();
  return [r1, r2];
}

/**
 * Ordinary async code between durable calls, which runs again on every replay: emit({ once: false })
 * publishes (a round trip), and a plain timer. Each sleep suspends the run, so the next run replays.
 */
async function awaitsBetweenCalls() {
  await MemFlow.workflow.emit({ progress: 1 }, { once: false });
  await MemFlow.workflow.sleepFor('50 milliseconds');
  await new Promise((resolve) => setTimeout(resolve, 30));
  await MemFlow.workflow.emit({ progress: 2 }, { once: false });
  await MemFlow.workflow.sleepFor('50 milliseconds');
  return 'done';
}

describe('workflow basics', () => {
  let mf: MemFlowInstance;
  beforeAll(async () => {
    mf = await MemFlow.init({ appId: uniqueAppId('basics'), engine: { connection: testConnection() } });
    for (const workflow of [sequence, parallel, retrying, failing, waiting, randomness, plainValue, throwsAtOnce, awaitsBetweenCalls]) {
      await mf.worker.create({ taskQueue: 'basics', workflow });
    }
  });
  afterAll(() => mf.shutdown());

  it('runs a 10-step workflow, each activity once', async () => {
    const before = calls.greet;
    const h = await mf.workflow.start({ workflowName: 'sequence', taskQueue: 'basics', args: [10] });
    expect(await h.result()).toHaveLength(10);
    expect(calls.greet - before).toBe(10);
  });

  it("serves a function declared with the name 'workflow' under that name (only an inline one is refused)", async () => {
    async function workflow(x: number) {
      return x * 2;
    }
    await mf.worker.create({ taskQueue: 'basics', workflow });
    const h = await mf.workflow.start({ workflowName: 'workflow', taskQueue: 'basics', args: [21] });
    expect(await h.result()).toBe(42);
  });

  it('runs parallel calls and returns the sleep duration in seconds', async () => {
    const h = await mf.workflow.start({ workflowName: 'parallel', taskQueue: 'basics' });
    expect(await h.result()).toEqual(['Hello, a!', 'Hello, b!', 0.05]);
  });

  it('retries an activity: maximumAttempts N means N retries', async () => {
    calls.flaky = 0;
    const h = await mf.workflow.start({ workflowName: 'retrying', taskQueue: 'basics' });
    expect(await h.result()).toBe(3);
    expect(calls.flaky).toBe(3);
  });

  it('surfaces a fatal activity error as a typed failure with code 598', async () => {
    const h = await mf.workflow.start({ workflowName: 'failing', taskQueue: 'basics' });
    const err = await h.result().catch((e) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect(err.message).toBe('stop-retrying-please');
    expect(err.code).toBe(598);
    expect(err.job_id).toBe(h.workflowId);
  });

  it('runs a workflow function that is not async: its value is the result, its throw the failure', async () => {
    const ok = await mf.workflow.start({ taskQueue: 'basics', workflowName: 'plainValue', args: [21] });
    expect(await ok.result()).toBe(42);
    const bad = await mf.workflow.start({ taskQueue: 'basics', workflowName: 'throwsAtOnce' });
    const err = await bad.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).message).toContain('thrown before any await');
  });

  it('buffers a signal sent before the wait and delivers one sent after', async () => {
    const h = await mf.workflow.start({ workflowName: 'waiting', taskQueue: 'basics' });
    await h.signal('x', { v: 1 }); // very likely before the workflow reached waitFor
    await untilWaiting(await mf.client.engine(mf.appId), h.workflowId, 'y');
    await h.signal('y', { v: 41 });
    expect(await h.result()).toBe(42);
  });

  it('gives random() seeds equal to the call position', async () => {
    const h = await mf.workflow.start({ workflowName: 'randomness', taskQueue: 'basics' });
    const dR = (n: number) => {
      const x = Math.sin(n) * 10000;
      return x - Math.floor(x);
    };
    expect(await h.result()).toEqual([dR(1), dR(3)]);
  });

  // a black-box pass: the replay met the recorded sleep before the function, still awaiting its
  // publish, had called it, and parked the unchanged workflow with a NonDeterminismError (593)
  it('replays a workflow that awaits ordinary async code between durable calls (emit once: false)', async () => {
    for (let i = 0; i < 3; i++) {
      const h = await mf.workflow.start({ workflowName: 'awaitsBetweenCalls', taskQueue: 'basics', args: [] });
      expect(await h.result()).toBe('done');
    }
  });

  it('refuses a duplicate workflow id', async () => {
    const h = await mf.workflow.start({ workflowName: 'sequence', taskQueue: 'basics', args: [1] });
    await expect(mf.workflow.start({ workflowName: 'sequence', taskQueue: 'basics', args: [1], workflowId: h.workflowId })).rejects.toThrow(
      `Duplicate job: ${h.workflowId}`,
    );
  });
});
