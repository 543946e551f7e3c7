/** §7 helloworld: start before any worker; proxyActivities from the package root at module scope. */
import { Client, Connection, MemFlow, Worker, guid } from 'hotmesh';
import { afterAll, describe, expect, it } from 'vitest';
import { dR, specConnection } from './support/spec/common.js';
import * as workflows from './support/spec/hello-workflows.js';

describe('spec §7 helloworld', () => {
  afterAll(() => MemFlow.shutdown());

  it('starts before the worker exists and returns `${dR(1)} Hello, HotMesh! ${dR(3)}`', async () => {
    const connection = await Connection.connect(specConnection());
    const client = new Client({ connection });
    const handle = await client.workflow.start({
      args: ['HotMesh'],
      taskQueue: 'hello-world',
      workflowName: 'example',
      workflowId: 'workflow-' + guid(),
      expire: 180,
      signalIn: false,
    });
    expect(handle.workflowId).toBeDefined();
    const worker = await Worker.create({ connection, taskQueue: 'hello-world', workflow: workflows.example });
    await worker.run();
    expect(await handle.result()).toEqual(`${dR(1)} Hello, HotMesh! ${dR(3)}`);
  });

  it('guid() is H + 22 chars', () => {
    expect(MemFlow.guid()).toMatch(/^H.{22}$/);
    expect(guid()).toHaveLength(23);
  });
});
