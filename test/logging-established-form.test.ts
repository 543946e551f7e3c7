/**
 * The established form (`new MemFlow.Client({ logger })`, `Worker.create({ options: { logger } })`):
 * what a client's own starts warn about goes to that client's logger, even once a worker in the same
 * process set the process-wide logger to its own (a black-box pass found the client's typo warning in
 * the worker's logger).
 */
import { Client, MemFlow, Worker } from 'hotmesh';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, uniqueAppId } from './support/backend.js';
import { captureLogs } from './support/log-capture.js';
import { specConnection } from './support/spec/common.js';

export async function estGreet(name: string) {
  return `hello ${name}`;
}

describe('logging, established form', () => {
  const namespace = uniqueAppId('estlog');
  const taskQueue = 'estlog';
  const ofClient = captureLogs();
  const ofWorker = captureLogs();
  let client: Client;
  beforeAll(async () => {
    const connection = specConnection();
    client = new Client({ connection, logger: ofClient.logger });
    await Worker.create({ connection, namespace, taskQueue, workflow: estGreet, options: { logger: ofWorker.logger } });
  });
  afterAll(() => MemFlow.shutdown());

  it("sends a start's typo warning to the client's logger, not to the worker's", async () => {
    // served: no warning
    const served = await client.workflow.start({ namespace, taskQueue, workflowName: 'estGreet', args: ['a'] });
    expect(await served.result()).toBe('hello a');
    const typo = await client.workflow.start({ namespace, taskQueue, workflowName: 'estGreett', args: ['b'] });
    const warned = await eventually(async () => ofClient.entries.find((e) => e.level === 'warn' && e.obj.jobId === typo.workflowId), 10_000);
    expect(warned.msg).toContain("did you mean 'estlog-estGreet'?");
    expect(ofWorker.entries.filter((e) => e.obj.jobId === typo.workflowId || e.obj.jobId === served.workflowId)).toEqual([]);
    // the worker's own entries still go to the worker's logger
    expect(ofWorker.logged('worker started').length).toBeGreaterThan(0);
    // with the route, not only the topic (README: entries carry workflowName and taskQueue as they apply)
    expect(warned.obj).toMatchObject({ jobId: typo.workflowId, taskQueue, workflowName: 'estGreett', topic: 'estlog-estGreett' });
    expect(ofWorker.logged('worker started')[0]!.obj).toMatchObject({ appId: namespace, taskQueue, workflowName: 'estGreet', topic: 'estlog-estGreet' });
  });

  it('sends each client’s warnings to its own logger, two clients starting on one unserved topic at once', async () => {
    const ofOther = captureLogs();
    const other = new Client({ connection: specConnection(), logger: ofOther.logger });
    const mine = await client.workflow.start({ namespace, taskQueue, workflowName: 'estGreetz', args: ['c'] });
    const theirs = await other.workflow.start({ namespace, taskQueue, workflowName: 'estGreetz', args: ['d'] });
    await eventually(async () => ofOther.entries.some((e) => e.obj.jobId === theirs.workflowId), 10_000);
    await eventually(async () => ofClient.entries.some((e) => e.obj.jobId === mine.workflowId), 10_000);
    expect(ofOther.entries.filter((e) => e.obj.jobId === mine.workflowId)).toEqual([]);
    expect(ofClient.entries.filter((e) => e.obj.jobId === theirs.workflowId)).toEqual([]);
  });

  it("says 'worker stopped' where it said 'worker started', whichever logger was set since", async () => {
    // a black-box pass: the stop went to the logger the last `new Client({ logger })` set
    const ofLast = captureLogs();
    new Client({ connection: specConnection(), logger: ofLast.logger });
    await MemFlow.shutdown();
    expect(ofWorker.logged('worker stopped').map((e) => e.obj.appId)).toContain(namespace);
    expect(ofLast.logged('worker stopped')).toEqual([]);
  });
});
