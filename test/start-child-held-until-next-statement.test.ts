/**
 * A child started with startChild runs only once the parent's next statement has committed, so the
 * parent's next call on it (upstream's interrupt scenario) lands first however long the parent takes
 * to get there. It was runnable 100 ms after its start: CI's loaded machine took longer between the
 * two calls once, the child finished first and the interrupt failed with `Job <id> already completed`.
 * Here the parent waits 400 ms (not a durable call) between them, which failed every time before.
 * And a parent that goes on to a long wait does not keep its child waiting for it (a liveness check:
 * the run's end releases the child; the one-second fallback would too).
 */
import { MemFlow, type MemFlowInstance } from 'hotmesh';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConnection, uniqueAppId } from './support/backend.js';

const { heldChildStep } = MemFlow.workflow.proxyActivities({
  activities: {
    async heldChildStep(name: string) {
      return `child ${name} done`;
    },
  },
});

export async function heldChild(name: string): Promise<string> {
  return heldChildStep(name);
}

export async function slowInterrupter(): Promise<string> {
  const id = `${MemFlow.workflow.getContext().workflowId}-child`;
  await MemFlow.workflow.startChild({ args: ['interrupted'], taskQueue: 'held-child', workflowName: 'heldChild', workflowId: id, expire: 600 });
  // slower than the old 100 ms hold: a parent on a loaded machine
  await new Promise((resolve) => setTimeout(resolve, 400));
  await MemFlow.workflow.interrupt(id, { throw: false, expire: 600 });
  return id;
}

const sleeperRuns = new Map<string, number>();

export async function heldSleeper(): Promise<void> {
  const id = MemFlow.workflow.getContext().workflowId;
  sleeperRuns.set(id, (sleeperRuns.get(id) ?? 0) + 1);
  await MemFlow.workflow.sleepFor('1 minute');
}

const { slowStep } = MemFlow.workflow.proxyActivities({
  activities: {
    async slowStep() {
      await new Promise((resolve) => setTimeout(resolve, 1800));
      return 'slow';
    },
  },
});

/** The child is started beside a long inline activity: no statement of the run releases it before the fallback lets it run. */
export async function startsBesideSlowStep(): Promise<string> {
  const id = `${MemFlow.workflow.getContext().workflowId}-child`;
  await Promise.all([slowStep(), MemFlow.workflow.startChild({ args: [], taskQueue: 'held-child', workflowName: 'heldSleeper', workflowId: id, expire: 600 })]);
  return id;
}

export async function startsThenSleeps(): Promise<string> {
  const id = `${MemFlow.workflow.getContext().workflowId}-child`;
  await MemFlow.workflow.startChild({ args: ['free'], taskQueue: 'held-child', workflowName: 'heldChild', workflowId: id, expire: 600 });
  await MemFlow.workflow.sleepFor('1 minute');
  return id;
}

describe('a child started with startChild', () => {
  let mf: MemFlowInstance;
  beforeAll(async () => {
    mf = await MemFlow.init({ appId: uniqueAppId('held-child'), engine: { connection: testConnection() }, logLevel: 'error' });
    await mf.worker.create({ taskQueue: 'held-child', workflow: heldChild });
    await mf.worker.create({ taskQueue: 'held-parent', workflow: slowInterrupter });
    await mf.worker.create({ taskQueue: 'held-parent', workflow: startsThenSleeps });
    await mf.worker.create({ taskQueue: 'held-child', workflow: heldSleeper });
    await mf.worker.create({ taskQueue: 'held-parent', workflow: startsBesideSlowStep });
  });
  afterAll(() => mf.shutdown());

  it('waits for the parent\'s next call: an interrupt 400 ms later still finds it unfinished', async () => {
    for (let i = 0; i < 2; i++) {
      const parent = await mf.workflow.start({ taskQueue: 'held-parent', workflowName: 'slowInterrupter', expire: 600, config: { maximumAttempts: 1 } });
      const childId = (await parent.result()) as string;
      expect(childId).toBe(`${parent.workflowId}-child`);
      const child = await mf.workflow.getHandle('held-child', 'heldChild', childId);
      expect((await child.state(true)).metadata.js).toBeLessThan(-1_000_000);
      expect(await child.result({ state: true })).toBeUndefined();
    }
  }, 30_000);

  it('runs while its parent sleeps: the parent\'s suspension releases it', async () => {
    const parent = await mf.workflow.start({ taskQueue: 'held-parent', workflowName: 'startsThenSleeps', expire: 600 });
    const child = await mf.workflow.getHandle('held-child', 'heldChild', `${parent.workflowId}-child`);
    // the parent's first run creates the child
    await expect.poll(() => child.state(true).then(() => true, () => false), { timeout: 10_000 }).toBe(true);
    expect(await child.result()).toBe('child free done');
    expect((await parent.state(true)).metadata.js).toBeGreaterThan(0); // the parent still sleeps
    await parent.terminate();
  }, 30_000);

  it('a late release leaves a child that already ran alone (it sleeps; it is not woken to replay)', async () => {
    const parent = await mf.workflow.start({ taskQueue: 'held-parent', workflowName: 'startsBesideSlowStep', expire: 600 });
    const childId = (await parent.result()) as string;
    await new Promise((r) => setTimeout(r, 800)); // the release went out at the parent's end; a woken child would have run again
    expect(sleeperRuns.get(childId)).toBe(1);
  }, 30_000);
});
