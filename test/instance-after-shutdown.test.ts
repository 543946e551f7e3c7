/**
 * A MemFlow.init instance after its shutdown() refuses work with a ShutdownError (a black-box pass:
 * it opened its engine and connection again, which then stayed open with no one to close them, and
 * kept the process alive). Another instance, and the process runtime, are not affected.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { MemFlow, type MemFlowInstance, ShutdownError } from '../src/index.js';
import { testConnection, uniqueAppId } from './support/backend.js';

export async function afterShutdown(): Promise<string> {
  return 'ran';
}

/** Its activity uses the instance while a shutdown's grace lets it finish (set per test). */
let duringGrace: () => Promise<string> = async () => 'unset';
export async function finishesInGrace(): Promise<string> {
  const { useInstance } = MemFlow.workflow.proxyActivities<{ useInstance(): Promise<string> }>({
    activities: { useInstance: () => duringGrace() },
    retryPolicy: { maximumAttempts: 1 },
  });
  return useInstance();
}

describe('an instance after shutdown()', () => {
  const others: MemFlowInstance[] = [];
  afterAll(async () => {
    for (const mf of others) await mf.shutdown();
  });

  it('refuses starts, workers, contexts and listings with a ShutdownError naming the app', async () => {
    const appId = uniqueAppId('after-shutdown');
    const mf = await MemFlow.init({ appId, engine: { connection: testConnection() } });
    await mf.worker.create({ taskQueue: 'q', workflow: afterShutdown });
    const handle = await mf.workflow.start({ taskQueue: 'q', workflowName: 'afterShutdown' });
    expect(await handle.result()).toBe('ran');
    await mf.shutdown();

    const attempts = [
      () => mf.workflow.start({ taskQueue: 'q', workflowName: 'afterShutdown' }),
      () => mf.worker.create({ taskQueue: 'q', workflow: afterShutdown }),
      () => mf.workflow.context(handle.workflowId),
      () => mf.workflow.list(),
      () => mf.client.workflow.getHandle('q', 'afterShutdown', handle.workflowId),
    ];
    for (const attempt of attempts) {
      const err = await attempt().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ShutdownError);
      expect((err as ShutdownError).message).toContain(appId);
      expect((err as ShutdownError).retryable).toBe(false);
    }
    await mf.shutdown(); // a second shutdown is harmless
  });

  // a fresh-eyes review: shutdown() refused the instance's own open engines at once, so a run finishing
  // in its grace failed its start or context op with a ShutdownError (and used up the attempt)
  it("lets runs finishing in the grace use the instance's open engines", async () => {
    const mf = await MemFlow.init({ appId: uniqueAppId('grace'), engine: { connection: testConnection() } });
    await mf.worker.create({ taskQueue: 'q', workflow: afterShutdown });
    await mf.worker.create({ taskQueue: 'q', workflow: finishesInGrace });
    let entered!: () => void;
    const inActivity = new Promise<void>((resolve) => (entered = resolve));
    const used: string[] = [];
    duringGrace = async () => {
      entered();
      await new Promise((r) => setTimeout(r, 300)); // shutdown() has begun
      const started = await mf.workflow.start({ taskQueue: 'q', workflowName: 'afterShutdown' });
      used.push(`started ${typeof started.workflowId}`);
      const ctx = await mf.workflow.context(started.workflowId);
      used.push(`context ${await ctx.increment('n', 1)}`);
      return 'finished in grace';
    };
    const handle = await mf.workflow.start({ taskQueue: 'q', workflowName: 'finishesInGrace' });
    await inActivity;
    const stopping = mf.shutdown({ graceMs: 5_000 });
    // the run finishes in the grace (the handle's engine is open until the loops stopped)
    expect(await handle.result()).toBe('finished in grace');
    await stopping;
    expect(used).toEqual(['started string', 'context 1']);
    await expect(mf.workflow.list()).rejects.toBeInstanceOf(ShutdownError); // and refused once it is over
  });

  it('leaves other instances working', async () => {
    const gone = await MemFlow.init({ appId: uniqueAppId('gone'), engine: { connection: testConnection() } });
    const live = await MemFlow.init({ appId: uniqueAppId('live'), engine: { connection: testConnection() } });
    others.push(live);
    await gone.shutdown();
    await live.worker.create({ taskQueue: 'q', workflow: afterShutdown });
    expect(await (await live.workflow.start({ taskQueue: 'q', workflowName: 'afterShutdown' })).result()).toBe('ran');
  });
});
