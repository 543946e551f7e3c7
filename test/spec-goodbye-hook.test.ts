/** §7 goodbye and hook: search fields, a hook from outside, findAllUserData, SQL search, export(). */
import { Client, Connection, MemFlow, Worker } from 'hotmesh';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueAppId } from './support/backend.js';
import { untilWaiting } from './support/job-state.js';
import { sleep, specConnection } from './support/spec/common.js';

const activities = {
  async greet(name: string) {
    return `Hello, ${name}!`;
  },
  async bye(name: string, delay?: number) {
    if (delay) await sleep(delay);
    return `Goodbye, ${name}!`;
  },
  async childActivity(name: string) {
    return `childActivity, ${name}!`;
  },
};
const { greet, bye, childActivity } = MemFlow.workflow.proxyActivities<typeof activities>({ activities });

export async function example(name: string): Promise<string> {
  const search = await MemFlow.workflow.search();
  await search.set('custom1', 'memflow');
  await search.set('custom2', '55');
  await search.set('jimbo', 'jones');
  const [hello, goodbye] = await Promise.all([greet(name), bye(name)]);
  const j1 = await search.get('jimbo');
  await search.incr('counter', 10);
  const j3 = await search.mget('jimbo');
  const val1 = await search.incr('counter', 1);
  const val2 = await search.get('counter');
  const val3 = await search.mult('multer', 12);
  const val4 = await search.mult('multer', 10);
  await MemFlow.workflow.waitFor<{ data: string }>('abcdefg');
  void [j1, j3, val1, val2, val3, val4];
  return `${hello} - ${goodbye}`;
}
export async function exampleHook(name: string): Promise<void> {
  const search = await MemFlow.workflow.search();
  await search.incr('counter', 100);
  await MemFlow.workflow.sleepFor('1 second');
  MemFlow.workflow.signal('abcdefg', { data: 'hello' }); // not awaited, as upstream
}

export async function childExample(name: string): Promise<string> {
  return childActivity(name);
}
export async function hookExample(name: string): Promise<string> {
  const search = await MemFlow.workflow.search();
  await search.set('custom1', 'memflow');
  await search.set('custom2', '55');
  await search.set('jimbo', 'jones');
  await search.incr('counter', 10);
  await search.incr('counter', 1);
  await search.mult('multer', 12);
  await search.mult('multer', 10);
  await MemFlow.workflow.execChild<string>({ args: [`${name} to CHILD`], taskQueue: 'child-world', workflowName: 'childExample' });
  await MemFlow.workflow.startChild({ args: [`${name} to CHILD`], taskQueue: 'child-world', workflowName: 'childExample' });
  const [hello, goodbye] = await Promise.all([greet(name), bye(name)]);
  await MemFlow.workflow.waitFor('abcdefg');
  await MemFlow.workflow.sleepFor('5 seconds');
  return `${hello} - ${goodbye}`;
}
export async function hookExampleHook(name: string): Promise<void> {
  const search = await MemFlow.workflow.search();
  await search.incr('counter', 100);
  await search.set('jimbo', 'jackson');
  const [greeting] = await Promise.all([bye(name, 1_000), MemFlow.workflow.sleepFor('1 second')]);
  await MemFlow.workflow.execChild<string>({ args: [`${name} to CHILD`], taskQueue: 'child-world', workflowName: 'childExample' });
  await MemFlow.workflow.startChild({ args: [`${name} to CHILD`], taskQueue: 'child-world', workflowName: 'childExample' });
  await MemFlow.workflow.sleepFor('2 seconds');
  await MemFlow.workflow.trace({ name: 'example', version: 1, complete: true });
  await MemFlow.workflow.enrich({ name: 'example', version: '1', complete: 'true' });
  await MemFlow.workflow.emit({ 'my.dog': { anything: 'goes' }, 'my.dog.cat': { anything: 'goes' } });
  await MemFlow.workflow.signal('abcdefg', { data: greeting });
}

const searchConfig = {
  index: 'bye-bye',
  prefix: ['bye-world-'],
  schema: { custom1: { type: 'TEXT', sortable: true }, custom2: { type: 'NUMERIC', sortable: true } },
};

describe('spec §7 goodbye', () => {
  const namespace = uniqueAppId('prod');
  const schema = namespace.replace(/-/g, '_');
  let client: Client;
  let workflowGuid: string;
  afterAll(() => MemFlow.shutdown());

  it('runs the goodbye scenario', async () => {
    const connection = specConnection();
    expect(await Connection.connect(connection)).toBe(connection);
    client = new Client({ connection });
    workflowGuid = 'bye-world-' + MemFlow.guid();
    const handle = await client.workflow.start({
      namespace,
      args: ['HotMesh'],
      taskQueue: 'goodbye-world',
      workflowName: 'example',
      workflowId: workflowGuid,
      expire: 120,
      search: { data: { fred: 'flintstone', barney: 'rubble' } },
    });
    expect(handle.workflowId).toBe(workflowGuid);
    await (await Worker.create({ connection, namespace, taskQueue: 'goodbye-world', workflow: example, search: searchConfig } as any)).run();
    await (await Worker.create({ connection, namespace, taskQueue: 'goodbye-world', workflow: exampleHook })).run();
    // the hook answers the main thread's waitFor: send it once the main thread is waiting
    await untilWaiting(await client.engine(namespace), workflowGuid, 'abcdefg');
    await client.workflow.hook({ namespace, taskQueue: 'goodbye-world', workflowName: 'exampleHook', workflowId: workflowGuid, args: ['HotMeshHook'] });

    const h = await client.workflow.getHandle('goodbye-world', example.name, workflowGuid, namespace);
    expect(await h.result()).toEqual('Hello, HotMesh! - Goodbye, HotMesh!');
    const rows = await client.workflow.search(
      'goodbye-world',
      example.name,
      namespace,
      'sql',
      `SELECT job_id FROM ${schema}.jobs_attributes WHERE field = $1 and value = $2`,
      '_custom1',
      'memflow',
    );
    expect(rows.length).toEqual(1);
    expect(rows[0].job_id).toBeDefined();

    const hotMeshClient = await client.getHotMeshClient('goodbye-world', namespace);
    const all = await MemFlow.Search.findAllUserData(workflowGuid, hotMeshClient);
    expect(all).toEqual({ fred: 'flintstone', barney: 'rubble', custom1: 'memflow', custom2: '55', jimbo: 'jones', counter: '111', multer: '120' });
  });
});

describe('spec §7 hook', () => {
  const namespace = uniqueAppId('staging');
  const schema = namespace.replace(/-/g, '_');
  afterAll(() => MemFlow.shutdown());

  it('runs the hook scenario: result({state:true}), export(), SQL search', async () => {
    const connection = specConnection();
    const client = new Client({ connection });
    const workflowGuid = 'bye-world-' + MemFlow.guid();
    await client.workflow.start({
      namespace,
      guid: 'client',
      args: ['HookMesh'],
      taskQueue: 'hook-world',
      workflowName: 'hookExample',
      workflowId: workflowGuid,
      expire: 600,
      search: { data: { fred: 'flintstone', barney: 'rubble' } },
    } as any);
    await (await Worker.create({ namespace, guid: 'parent-worker', connection, taskQueue: 'hook-world', workflow: hookExample, search: searchConfig } as any)).run();
    await (await Worker.create({ namespace, guid: 'child-worker', connection, taskQueue: 'child-world', workflow: childExample } as any)).run();
    await (await Worker.create({ namespace, guid: 'hook-worker', connection, taskQueue: 'hook-world', workflow: hookExampleHook } as any)).run();
    await untilWaiting(await client.engine(namespace), workflowGuid, 'abcdefg');
    await client.workflow.hook({ namespace, taskQueue: 'hook-world', workflowName: 'hookExampleHook', workflowId: workflowGuid, args: ['HotMeshHook'] });

    const handle = await client.workflow.getHandle('hook-world', hookExample.name, workflowGuid, namespace);
    expect(await handle.result({ state: true })).toEqual('Hello, HookMesh! - Goodbye, HookMesh!');
    const exported: any = await handle.export({ allow: ['timeline', 'status', 'data', 'state'], values: false });
    expect(exported.status).not.toBeUndefined();
    expect(exported.data?.fred).toBe('flintstone');
    expect(exported.state?.data.done).toBe(true);
    const rows = await client.workflow.search(
      'hook-world',
      hookExample.name,
      namespace,
      'sql',
      `SELECT job_id FROM ${schema}.jobs_attributes WHERE field = $1 and value = $2`,
      '_custom1',
      'memflow',
    );
    expect(rows.length).toEqual(1);
    const all = await MemFlow.Search.findAllUserData(workflowGuid, await client.getHotMeshClient('hook-world', namespace));
    expect(all).toMatchObject({ counter: '111', jimbo: 'jackson', name: 'example', version: '1', complete: 'true' });
  }, 35_000);
});
