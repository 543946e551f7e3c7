/**
 * `mf.worker.create` and `registerActivityWorker` fill in the instance's connection and app where the
 * config leaves them out, also when it names them as undefined (a black-box pass: `namespace:
 * undefined` overwrote the default, so the worker served the 'memflow' app and the instance's
 * workflow never ran; `connection: undefined` would have moved it to the embedded database).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemFlow, type MemFlowInstance } from '../src/index.js';
import { testConnection, uniqueAppId } from './support/backend.js';

export async function servedByDefault(): Promise<string> {
  const { remoteDefault } = MemFlow.workflow.proxyActivities<{ remoteDefault(): Promise<string> }>({ taskQueue: 'defaults-remote' });
  return `ran with ${await remoteDefault()}`;
}

describe("an instance's worker with undefined connection and namespace", () => {
  let mf: MemFlowInstance;
  const appId = uniqueAppId('wdefaults');
  beforeAll(async () => {
    mf = await MemFlow.init({ appId, engine: { connection: testConnection() } });
  });
  afterAll(() => mf.shutdown());

  it("serves the instance's app on the instance's database", async () => {
    const worker = await mf.worker.create({ taskQueue: 'defaults', workflow: servedByDefault, namespace: undefined, connection: undefined });
    expect((worker as unknown as { namespace: string }).namespace).toBe(appId);
    await mf.worker.registerActivityWorker(
      { namespace: undefined, connection: undefined, taskQueue: 'defaults-remote' },
      { async remoteDefault() { return 'the remote activity'; } },
      'defaults-remote',
    );
    const handle = await mf.workflow.start({ taskQueue: 'defaults', workflowName: 'servedByDefault' });
    expect(await handle.result()).toBe('ran with the remote activity');
  });
});
