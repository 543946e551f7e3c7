/**
 * A `start()` handle's result() reads the job as it is now, also when the job failed and was then
 * retried through another handle (getHandle, the CLI, the dashboard). A black-box pass: the start's
 * watch had heard the failure and result() answered it, although the job had completed since.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemFlow, type MemFlowInstance } from '../src/index.js';
import { testConnection, uniqueAppId } from './support/backend.js';

let fixed = false;
const acts = MemFlow.workflow.proxyActivities({
  activities: {
    async pay(): Promise<string> {
      if (!fixed) throw new MemFlow.Errors.MemFlowFatalError('pay down');
      return 'paid';
    },
  },
});

export async function payer(): Promise<string> {
  return acts.pay();
}

describe('result() of a start handle after a retry elsewhere', () => {
  let mf: MemFlowInstance;
  beforeAll(async () => {
    mf = await MemFlow.init({ appId: uniqueAppId('retry-elsewhere'), engine: { connection: testConnection() } });
    await mf.worker.create({ taskQueue: 'retry-elsewhere', workflow: payer });
  });
  afterAll(() => mf.shutdown());

  it('answers the completed result, not the failure the start heard', async () => {
    fixed = false;
    const handle = await mf.workflow.start({ taskQueue: 'retry-elsewhere', workflowName: 'payer', expire: 600 });
    const other = await mf.workflow.getHandle('retry-elsewhere', 'payer', handle.workflowId);
    await expect(other.result()).rejects.toMatchObject({ code: 598 }); // the start's watch has heard it too
    fixed = true;
    await other.retry();
    expect(await other.result()).toBe('paid');
    expect(await handle.result()).toBe('paid');
  });
});
