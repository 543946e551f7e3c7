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
});
