/** Activities on their own task queues, served by registerActivityWorker (upstream's retry-policy scenario). */
import { MemFlow, type MemFlowInstance } from 'hotmesh';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConnection, uniqueAppId } from './support/backend.js';

const calls = { processPayment: [] as number[] };
const payments = {
  async processPayment(amount: number) {
    calls.processPayment.push(Date.now());
    if (calls.processPayment.length < 3) throw new Error(`payment gateway busy (${calls.processPayment.length})`);
    return { status: 'completed', paymentId: `payment-${amount}` };
  },
};
const inventory = { async reserve(sku: string) { return `reserved ${sku}`; } };
const email = { async notify(to: string) { return `mailed ${to}`; } };

const pay = MemFlow.workflow.proxyActivities<typeof payments>({
  taskQueue: 'payments',
  retryPolicy: { maximumAttempts: 5, backoffCoefficient: 2, maximumInterval: '2s' },
});
const stock = MemFlow.workflow.proxyActivities<typeof inventory>({ taskQueue: 'inventory' });
const mail = MemFlow.workflow.proxyActivities<typeof email>({ taskQueue: 'email' });

export async function checkout(amount: number) {
  const payment = await pay.processPayment(amount);
  const [reserved, mailed] = await Promise.all([stock.reserve('sku-1'), mail.notify('ada@example.com')]);
  return { payment, reserved, mailed };
}

describe('remote activities', () => {
  let mf: MemFlowInstance;
  beforeAll(async () => {
    mf = await MemFlow.init({ appId: uniqueAppId('remote'), engine: { connection: testConnection() } });
    await mf.worker.registerActivityWorker({ taskQueue: 'payments' }, payments);
    await mf.worker.registerActivityWorker({}, inventory, 'inventory');
    await MemFlow.registerActivityWorker({ connection: testConnection(), namespace: mf.appId }, email, 'email');
    await mf.worker.create({ taskQueue: 'shop', workflow: checkout });
  });
  afterAll(() => mf.shutdown());

  it('routes each proxy to its queue, retries with backoff, and wakes the workflow with the results', async () => {
    const handle = await mf.workflow.start({ taskQueue: 'shop', workflowName: 'checkout', args: [42] });
    expect(await handle.result()).toEqual({
      payment: { status: 'completed', paymentId: 'payment-42' },
      reserved: 'reserved sku-1',
      mailed: 'mailed ada@example.com',
    });
    expect(calls.processPayment).toHaveLength(3);
    const [a, b, c] = calls.processPayment as [number, number, number];
    // delay before retry n: min(2^(n-1), 2) s. Never early; late by up to a poll interval (2 s) plus
    // load, so the upper bounds are loose (test/retry-policy.test.ts times remote retries exactly).
    expect(b - a).toBeGreaterThanOrEqual(950);
    expect(b - a).toBeLessThan(1000 + 5000);
    expect(c - b).toBeGreaterThanOrEqual(1950);
    expect(c - b).toBeLessThan(2000 + 5000);
  });
});
