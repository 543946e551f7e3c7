/**
 * Replay against a real database: a changed workflow is parked with a NonDeterminismError, and two
 * concurrent runs of the same code with the same fixed signal ids never cross-deliver.
 */
import { MemFlow, type MemFlowInstance, NonDeterminismError } from 'hotmesh';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, testConnection, uniqueAppId } from './support/backend.js';

let codeVersion = 1;
const ran: string[] = [];
const acts = MemFlow.workflow.proxyActivities({
  activities: {
    async charge() {
      ran.push('charge');
      return 'charged';
    },
    async refund() {
      ran.push('refund');
      return 'refunded';
    },
  },
});

export async function billing() {
  const first = codeVersion === 1 ? await acts.charge() : await acts.refund();
  await MemFlow.workflow.sleepFor('300 milliseconds');
  return first;
}

export async function patchedBilling() {
  const first =
    codeVersion === 1 ? await acts.charge() : MemFlow.workflow.patched('refund-first') ? await acts.refund() : await acts.charge();
  await MemFlow.workflow.sleepFor('300 milliseconds');
  return first;
}

export async function pinger(label: string) {
  const [reply] = await Promise.all([
    MemFlow.workflow.execHook({ taskQueue: 'replay', workflowName: 'ponger', args: [label], signalId: 'pong' }),
  ]);
  return reply;
}

export async function ponger(label: string) {
  await MemFlow.workflow.sleepFor(label === 'slow' ? '200 milliseconds' : '10 milliseconds');
  await MemFlow.workflow.signal('pong', { label });
}

describe('replay', () => {
  let mf: MemFlowInstance;
  beforeAll(async () => {
    mf = await MemFlow.init({ appId: uniqueAppId('replay'), engine: { connection: testConnection() } });
    for (const workflow of [billing, patchedBilling, pinger, ponger]) await mf.worker.create({ taskQueue: 'replay', workflow });
  });
  afterAll(() => mf.shutdown());

  it('parks a job whose code now makes a different call, and runs nothing past that point', async () => {
    codeVersion = 1;
    ran.length = 0;
    const handle = await mf.workflow.start({ taskQueue: 'replay', workflowName: 'billing' });
    await eventually(async () => ran.includes('charge'));
    codeVersion = 2; // a deploy changed the code while the workflow slept
    const err = await handle.result().catch((e) => e);
    expect(err.code).toBe(593);
    expect(err.message).toContain(handle.workflowId);
    expect(err.message).toContain("activity('charge')");
    expect(err.message).toContain("activity('refund')");
    // the original error as cause (README): the divergence, rebuilt as its class with its fields
    expect(err.cause).toBeInstanceOf(NonDeterminismError);
    expect(err.cause).toMatchObject({ jobId: handle.workflowId, thread: 'main', seq: 1, recorded: "activity('charge')", attempted: "activity('refund')", code: 593 });
    expect(ran).toEqual(['charge']);
    const engine = await mf.client.engine(mf.appId);
    const row = await engine.driver.query<{ status: string }>(`SELECT status FROM ${engine.schema}.jobs WHERE id = $1`, [handle.workflowId]);
    expect(row.rows[0]!.status).toBe('parked');
    codeVersion = 1;
  });

  it('lets patched() change code safely: old runs keep the old path, new runs take the new one', async () => {
    codeVersion = 1;
    ran.length = 0;
    const old = await mf.workflow.start({ taskQueue: 'replay', workflowName: 'patchedBilling' });
    await eventually(async () => ran.includes('charge'));
    codeVersion = 2; // deploy the patched code while the old run sleeps
    expect(await old.result()).toBe('charged');
    const fresh = await mf.workflow.start({ taskQueue: 'replay', workflowName: 'patchedBilling' });
    expect(await fresh.result()).toBe('refunded'); // and its replay after the sleep kept the new path
    expect(ran).toEqual(['charge', 'refund']);
    codeVersion = 1;
  });

  it('keeps signals of concurrent runs with the same signal ids apart', async () => {
    const [slow, fast] = await Promise.all([
      mf.workflow.start({ taskQueue: 'replay', workflowName: 'pinger', args: ['slow'] }),
      mf.workflow.start({ taskQueue: 'replay', workflowName: 'pinger', args: ['fast'] }),
    ]);
    expect(await slow.result()).toEqual({ label: 'slow' });
    expect(await fast.result()).toEqual({ label: 'fast' });
  });
});
