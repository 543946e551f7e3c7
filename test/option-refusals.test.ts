/**
 * Options refused before anything happens (a black-box pass found these accepted):
 * - `mf.shutdown({ graceMs })` takes the range `worker.shutdownGraceMs` takes: -5, NaN or 3e9 stopped
 *   the runs in flight at once (3e9 with Node's TimeoutOverflowWarning), and an unknown key passed;
 * - `context().history(options)`: null threw a raw TypeError, an unknown key passed.
 */
import { describe, expect, it } from 'vitest';
import { MemFlow, ValidationError } from '../src/index.js';
import { testConnection, uniqueAppId } from './support/backend.js';

export async function noted(): Promise<string> {
  await (await MemFlow.workflow.context()).set({ noted: true });
  return 'ok';
}

describe('option refusals', () => {
  it('shutdown({ graceMs }) out of range or with an unknown key is a ValidationError, and nothing stops', async () => {
    const mf = await MemFlow.init({ appId: uniqueAppId('opt-refusals'), engine: { connection: testConnection() } });
    await mf.worker.create({ taskQueue: 'opt-refusals', workflow: noted });
    for (const bad of [{ graceMs: -5 }, { graceMs: Number.NaN }, { graceMs: 3e9 }, { graceMs: '5' }, { grace: 5 }]) {
      await expect(mf.shutdown(bad as never), JSON.stringify(bad)).rejects.toBeInstanceOf(ValidationError);
    }
    // still open and serving
    const handle = await mf.workflow.start({ taskQueue: 'opt-refusals', workflowName: 'noted' });
    expect(await handle.result()).toBe('ok');

    const memory = await handle.context();
    await expect(memory.history(null as never)).resolves.toHaveLength(1); // null: no options, as undefined
    await expect(memory.history({ foo: 1 } as never)).rejects.toMatchObject({ field: 'history options' });
    await expect(memory.history(5 as never)).rejects.toBeInstanceOf(ValidationError);
    await mf.shutdown({ graceMs: 0 });
  });

  // a later pass: each of these was taken as some boolean, or spread into nothing, silently
  it('flags that are not booleans, result options and worker options that are not objects: a ValidationError naming them', async () => {
    const mf = await MemFlow.init({ appId: uniqueAppId('opt-flags'), engine: { connection: testConnection() } });
    try {
      await mf.worker.create({ taskQueue: 'opt-flags', workflow: noted });
      await expect(mf.workflow.start({ taskQueue: 'opt-flags', workflowName: 'noted', signalIn: 'no' as never })).rejects.toMatchObject({ field: 'signalIn' });
      const handle = await mf.workflow.start({ taskQueue: 'opt-flags', workflowName: 'noted' });
      await expect(handle.result('x' as never)).rejects.toMatchObject({ field: 'result options' });
      await expect(handle.result({ throwOnError: 'no' } as never)).rejects.toMatchObject({ field: 'throwOnError' });
      expect(await handle.result()).toBe('ok');
      for (const flag of ['throw', 'descend', 'suppress']) {
        await expect(handle.interrupt({ [flag]: 'yes' } as never)).rejects.toMatchObject({ field: flag });
      }
      await expect(mf.worker.create({ taskQueue: 'opt-flags', workflow: noted, options: 'x' as never })).rejects.toMatchObject({ field: 'options' });
      // the job was not touched by the refused interrupts
      expect(await handle.status()).toBe(0);
    } finally {
      await mf.shutdown();
    }
  });
});
