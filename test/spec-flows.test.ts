/** §7 signal, loopactivity, nested, retry-policy (interrupt: spec-interrupt.test.ts). */
import { Client, MemFlow, Worker } from 'hotmesh';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueAppId } from './support/backend.js';
import { untilNotWaiting, untilWaiting } from './support/job-state.js';
import { specConnection } from './support/spec/common.js';

const namespace = uniqueAppId('specflows');
const connection = specConnection();

const acts = MemFlow.workflow.proxyActivities({
  activities: {
    async childActivity(name: string) {
      return `interrupt childActivity, ${name}!`;
    },
    async parentActivity(name: string) {
      return `parentActivity, ${name}!`;
    },
    async nestedChildActivity(name: string) {
      return `childActivity, ${name}!`;
    },
    async hi(name: string) {
      return `Hello, ${name}!`;
    },
  },
});

export async function childExample(name: string) {
  return acts.childActivity(name);
}
export async function parentExample(name: string) {
  const base = MemFlow.workflow.getContext().workflowId;
  const out1 = await MemFlow.workflow.execChild<string>({ args: [`${name} to CHILD`], taskQueue: 'child-world', workflowName: 'childExample', workflowId: `${base}-jimbo1` });
  const out2 = await MemFlow.workflow.startChild({ args: [`${name} to CHILD`], taskQueue: 'child-world', workflowName: 'childExample', workflowId: `${base}-jimbo2`, expire: 600 });
  await MemFlow.workflow.interrupt(out2, { throw: false, expire: 600 });
  return { childWorkflowOutput: out1, cancelledWorkflowId: out2 };
}
export async function signalExample(name: string) {
  const a = await acts.hi('stranger');
  const [s1, s2] = await Promise.all([MemFlow.workflow.waitFor<{ name: string }>('abcdefg'), MemFlow.workflow.waitFor<{ name: string }>('hijklmnop')]);
  const b = await acts.hi(name);
  return [a, s1, s2, b];
}
export async function loopExample(_name: string) {
  await MemFlow.workflow.trace({ step: 1 });
  await MemFlow.workflow.enrich({ step: '1' });
  await MemFlow.workflow.emit({ 'loop.event': { any: 'thing' } });
  return Promise.all([acts.hi('1'), acts.hi('2'), acts.hi('3'), MemFlow.workflow.sleepFor('5 seconds')]);
}
export async function nestedChild(name: string) {
  return acts.nestedChildActivity(name);
}
export async function nestedParent(name: string) {
  const activityOutput = await acts.parentActivity(name);
  const [childWorkflowOutput] = await Promise.all([
    MemFlow.workflow.execChild<string>({ args: [`${name} to CHILD`], taskQueue: 'nested-child', workflowName: 'nestedChild', signalIn: false }),
    MemFlow.workflow.execChild<string>({ args: [`${name} to CHILD`], taskQueue: 'nested-child', workflowName: 'nestedChild', signalIn: false }),
  ]);
  return { activityOutput, childWorkflowOutput };
}

let paymentCalls = 0;
const stamps: number[] = [];
const payActivities = {
  processPayment: async (amount: number, orderId: string) => {
    paymentCalls++;
    stamps.push(Date.now());
    if (paymentCalls < 3) throw new Error('Payment gateway timeout');
    return `payment-${orderId}-${amount}`;
  },
  validateInventory: async (_id: string) => true,
  sendNotification: async (_e: string, _m: string) => {},
};
const orderWorkflow = async (order: { orderId: string; amount: number }) => {
  const { processPayment } = MemFlow.workflow.proxyActivities<typeof payActivities>({
    activities: payActivities,
    taskQueue: 'payments',
    retryPolicy: { maximumAttempts: 5, backoffCoefficient: 2, maximumInterval: '300s' },
  });
  const { validateInventory, sendNotification } = MemFlow.workflow.proxyActivities<typeof payActivities>({ activities: payActivities, taskQueue: 'operations' });
  await validateInventory('p');
  const paymentId = await processPayment(order.amount, order.orderId);
  await sendNotification('e', 'm');
  return { orderId: order.orderId, paymentId, status: 'completed', retryCount: paymentCalls };
};
let flakeyCount = 0;
const flakeyWorkflow = async (data: { id: string }) => {
  flakeyCount++;
  if (flakeyCount < 2) throw new Error('Workflow initialization failed');
  return { id: data.id, attempts: flakeyCount };
};

describe('spec §7 flows', () => {
  let client: Client;
  beforeAll(async () => {
    client = new Client({ connection });
    await Worker.create({ connection, namespace, taskQueue: 'child-world', workflow: childExample, options: { logLevel: 'warn' } } as any);
    await Worker.create({ connection, namespace, taskQueue: 'parent-world', workflow: parentExample });
    await Worker.create({ connection, namespace, taskQueue: 'signal-world', workflow: signalExample });
    await Worker.create({ connection, namespace, taskQueue: 'loop-world', workflow: loopExample });
    await Worker.create({ connection, namespace, taskQueue: 'nested-child', workflow: nestedChild });
    await Worker.create({ connection, namespace, taskQueue: 'nested-parent', workflow: nestedParent });
  });
  afterAll(() => MemFlow.shutdown());

  it('signal: handle.signal to the waiting job, then a new Client signals the other wait', async () => {
    const h = await client.workflow.start({ namespace, args: ['ColdMush'], taskQueue: 'signal-world', workflowName: 'signalExample', workflowId: MemFlow.guid(), expire: 120 });
    const db = await client.engine(namespace);
    await untilWaiting(db, h.workflowId, 'abcdefg', 'hijklmnop');
    await h.signal('abcdefg', { name: 'WarmMash' });
    await untilNotWaiting(db, h.workflowId, 'abcdefg');
    const other = new Client({ connection });
    await other.workflow.signal('hijklmnop', { name: 'WarnCrash' }, namespace);
    expect(await h.result()).toEqual(['Hello, stranger!', { name: 'WarmMash' }, { name: 'WarnCrash' }, 'Hello, ColdMush!']);
  }, 20_000);

  it('loopactivity: Promise.all of 3 proxies + sleepFor(5 s); two handles resolve concurrently', async () => {
    const workflowId = MemFlow.guid();
    const h = await client.workflow.start({ namespace, args: ['x'], taskQueue: 'loop-world', workflowName: 'loopExample', workflowId, expire: 120 });
    const h2 = await client.workflow.getHandle('loop-world', 'loopExample', workflowId, namespace);
    const [r1, r2] = await Promise.all([h.result(), h2.result()]);
    expect(r1).toEqual(['Hello, 1!', 'Hello, 2!', 'Hello, 3!', 5]);
    expect(r2).toEqual(r1);
  }, 20_000);

  it('nested: two parents concurrently, each with two execChild(signalIn:false); deployAndActivate(ns, n+1)', async () => {
    const start = () => client.workflow.start({ namespace, args: ['PARENT'], taskQueue: 'nested-parent', workflowName: 'nestedParent', workflowId: MemFlow.guid(), signalIn: false, expire: 120 });
    const [a, b] = await Promise.all([start(), start()]);
    const expected = { activityOutput: 'parentActivity, PARENT!', childWorkflowOutput: 'childActivity, PARENT to CHILD!' };
    expect(await a.result()).toEqual(expected);
    expect(await b.result()).toEqual(expected);
    await expect(client.deployAndActivate(namespace, '2')).resolves.toBeUndefined();
    await expect(client.deployAndActivate(namespace, 'two')).rejects.toThrow('Invalid version number');
  }, 20_000);
});

describe('spec §7 retry-policy (default namespace)', () => {
  afterAll(() => MemFlow.shutdown());

  it('activity retry policy on a remote queue, workflow retry policy, three queues', async () => {
    const q = uniqueAppId('q'); // keep queues unique: the default namespace is shared by test runs
    await MemFlow.registerActivityWorker({ connection, taskQueue: 'payments' }, { processPayment: payActivities.processPayment }, 'payments');
    await MemFlow.registerActivityWorker({ connection, taskQueue: 'operations' }, { validateInventory: payActivities.validateInventory, sendNotification: payActivities.sendNotification }, 'operations');
    await (await Worker.create({ connection, taskQueue: `orders-${q}`, workflow: orderWorkflow })).run();
    const client = new Client({ connection });
    paymentCalls = 0;
    const h = await client.workflow.start({ args: [{ orderId: 'ORD-1', amount: 99.99 }], taskQueue: `orders-${q}`, workflowName: 'orderWorkflow', workflowId: MemFlow.guid(), expire: 120 });
    const result: any = await h.result();
    expect(paymentCalls).toBe(3);
    expect(result.retryCount).toBe(3);
    expect(result.status).toBe('completed');
    expect(result.paymentId).toContain('payment-');
    // delay before retry n: min(2^(n-1), 300) s, so about 1 s then 2 s (upper bounds loose: load)
    expect(stamps[1]! - stamps[0]!).toBeGreaterThanOrEqual(900);
    expect(stamps[1]! - stamps[0]!).toBeLessThan(6000);
    expect(stamps[2]! - stamps[1]!).toBeGreaterThanOrEqual(1900);
    expect(stamps[2]! - stamps[1]!).toBeLessThan(8000);

    await Worker.create({ connection, taskQueue: `flakey-${q}`, workflow: flakeyWorkflow, options: { maximumAttempts: 3, backoffCoefficient: 2, maximumInterval: '60s' } });
    const f = await client.workflow.start({ args: [{ id: 'x' }], taskQueue: `flakey-${q}`, workflowName: 'flakeyWorkflow', workflowId: MemFlow.guid(), config: { maximumAttempts: 5, backoffCoefficient: 2, maximumInterval: '120s' } });
    const fr: any = await f.result();
    expect(flakeyCount).toBe(2); // one failure, one retry that succeeds
    expect(fr).toEqual({ id: 'x', attempts: 2 });
  }, 30_000);
});
