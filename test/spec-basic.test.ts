/** §7 basic: one worker per function on queue `basic-world`; the full workflow's exact result. */
import { Client, MemFlow, Worker } from 'hotmesh';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueAppId } from './support/backend.js';
import { untilWaiting } from './support/job-state.js';
import { dR, specConnection } from './support/spec/common.js';

const namespace = uniqueAppId('specbasic');
const taskQueue = 'basic-world';

const acts = MemFlow.workflow.proxyActivities({
  activities: {
    async basicGreet(name: string) {
      return { complex: `Basic, ${name}!` };
    },
    async bye(name: string) {
      return `Goodbye, ${name}!`;
    },
  },
});

export async function childWorkflow(name: string) {
  return 'child-done';
}
export async function voidChild(_name: string): Promise<void> {
  await acts.bye('child');
}
export async function doRandom() {
  return MemFlow.workflow.random();
}
export async function doProxy(name: string) {
  return acts.basicGreet(name);
}
export async function doSleep() {
  await MemFlow.workflow.sleepFor('1 second');
  return 'slept';
}
export async function doExecChild() {
  return MemFlow.workflow.execChild<string>({ taskQueue, workflowName: 'childWorkflow', args: ['x'] });
}
export async function doStartChild() {
  return MemFlow.workflow.startChild({ taskQueue, workflowName: 'childWorkflow', args: ['x'] });
}
export async function doWaitFor() {
  return MemFlow.workflow.waitFor<{ id: string; data: unknown }>('wf-signal');
}
export async function doParallel(name: string) {
  return Promise.all([acts.basicGreet(name), acts.bye(name)]);
}
export async function doSignalThenAll(name: string) {
  const payload = await MemFlow.workflow.waitFor<any>('then-signal');
  const both = await Promise.all([
    MemFlow.workflow.startChild({ taskQueue, workflowName: 'childWorkflow', args: ['a'] }),
    MemFlow.workflow.execChild({ taskQueue, workflowName: 'childWorkflow', args: ['b'] }),
  ]);
  return { payload, started: typeof both[0], child: both[1] };
}
export async function example(name: string) {
  const random1 = MemFlow.workflow.random();
  const proxyGreeting = await acts.basicGreet(name);
  const proxyGreeting2 = await acts.basicGreet(name); // seq 3
  const random2 = MemFlow.workflow.random();
  await MemFlow.workflow.sleepFor('1 second');
  const [proxyGreeting3, proxyGreeting4] = await Promise.all([acts.basicGreet(`${name}3`), acts.basicGreet(`${name}4`)]);
  const jobBody = await MemFlow.workflow.execChild<void>({ taskQueue, workflowName: 'voidChild', args: [name] });
  const jobId = await MemFlow.workflow.startChild({
    taskQueue,
    workflowName: 'childWorkflow',
    args: [name],
    workflowId: `MyWorkflowId123-${MemFlow.workflow.getContext().workflowId}`,
  });
  const payload = await MemFlow.workflow.waitFor<any>('abcdefg');
  void proxyGreeting2;
  return { random1, random2, proxyGreeting, proxyGreeting3, proxyGreeting4, payload, jobId, jobBody };
}

describe('spec §7 basic', () => {
  let client: Client;
  beforeAll(async () => {
    const connection = specConnection();
    client = new Client({ connection });
    for (const workflow of [childWorkflow, voidChild, doRandom, doProxy, doSleep, doExecChild, doStartChild, doWaitFor, doParallel, doSignalThenAll, example]) {
      await Worker.create({ connection, namespace, taskQueue, workflow });
    }
  });
  afterAll(() => MemFlow.shutdown());

  /** Resolves once the job is suspended in waitFor(signalId): the signal then meets a live waiter. */
  const waiting = async (workflowId: string, signalId: string) => untilWaiting(await client.engine(namespace), workflowId, signalId);
  const start = (workflowName: string, args: unknown[] = ['HotMesh']) =>
    client.workflow.start({ namespace, taskQueue, workflowName, args, workflowId: `${workflowName}-${MemFlow.guid()}`, expire: 120 });

  it('single-feature workflows', async () => {
    expect(typeof (await (await start('doRandom')).result())).toBe('number');
    expect(await (await start('doProxy')).result()).toEqual({ complex: 'Basic, HotMesh!' });
    expect(await (await start('doSleep')).result()).toBe('slept');
    expect(await (await start('doExecChild')).result()).toBe('child-done');
    const started = await (await start('doStartChild')).result();
    expect(typeof started).toBe('string');
    expect(started.length).toBeGreaterThan(0);
    const two = await (await start('doParallel')).result();
    expect(two).toHaveLength(2);
  });

  it('waitFor resolves to the data given to handle.signal', async () => {
    const handle = await start('doWaitFor');
    await waiting(handle.workflowId, 'wf-signal');
    await handle.signal('wf-signal', { id: 'x', data: { hello: 'world' } });
    expect(await handle.result()).toEqual({ id: 'x', data: { hello: 'world' } });
  });

  it('a signal followed by Promise.all([startChild, execChild])', async () => {
    const handle = await start('doSignalThenAll');
    await waiting(handle.workflowId, 'then-signal');
    await handle.signal('then-signal', { n: 1 });
    expect(await handle.result()).toEqual({ payload: { n: 1 }, started: 'string', child: 'child-done' });
  });

  it('full workflow yields exactly the expected object (random seeds 1 and 4)', async () => {
    const handle = await start('example');
    await waiting(handle.workflowId, 'abcdefg');
    const sent = { id: 'abcdefg', data: { hello: 'world', n: 1 } };
    await handle.signal('abcdefg', sent);
    const result = await handle.result();
    expect(result).toEqual({
      random1: dR(1),
      random2: dR(4),
      proxyGreeting: { complex: 'Basic, HotMesh!' },
      proxyGreeting3: { complex: 'Basic, HotMesh3!' },
      proxyGreeting4: { complex: 'Basic, HotMesh4!' },
      payload: sent,
      jobId: `MyWorkflowId123-${handle.workflowId}`,
    });
    expect('jobBody' in result).toBe(false);
  });
});
