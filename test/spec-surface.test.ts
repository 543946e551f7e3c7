/** §1 exports, §5.15 workflow members, §6 errors, §5.0.2 call numbering (via random()), §5.14 getContext. */
import * as hotmesh from 'hotmesh';
import { Client, MemFlow, Worker } from 'hotmesh';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueAppId } from './support/backend.js';
import { dR, specConnection } from './support/spec/common.js';

const namespace = uniqueAppId('specsurf');
const taskQueue = 'surface';
const { echo } = MemFlow.workflow.proxyActivities({ activities: { async echo(x: string) { return x; } } });

export async function numberSearch() {
  const s = await MemFlow.workflow.search(); // 1 index (ops take sub-indexes)
  await s.set('a', '1');
  await s.incr('n', 1);
  return MemFlow.workflow.random(); // upstream seed 2
}
export async function numberEntity() {
  const e = await MemFlow.workflow.entity(); // 1 index (ops take sub-indexes)
  await e.set({ a: 1 });
  await e.merge({ b: 2 });
  await e.get();
  return MemFlow.workflow.random(); // upstream seed 2
}
export async function numberMisc() {
  await MemFlow.workflow.trace({ a: 1 }, { once: false }); // no index
  const r1 = MemFlow.workflow.random(); // 1
  await MemFlow.workflow.emit({ 'x.y': 1 }); // 2
  await MemFlow.workflow.trace({ a: 1 }); // 3
  await echo('e'); // 4
  await MemFlow.workflow.sleepFor('10 milliseconds'); // 5
  const r2 = MemFlow.workflow.random(); // 6
  return [r1, r2];
}
export async function emitEveryRun() {
  await MemFlow.workflow.emit({ 'x.y': 1 }, { once: false }); // §5.11: runs on every replay, takes no index
  return MemFlow.workflow.random();
}
export async function plainTimerAwait() {
  // ordinary (non-durable) async code inside a workflow, e.g. upstream's all() waits 1 ms
  await new Promise((r) => setTimeout(r, 50));
  return 'done';
}
export async function contextFields() {
  const ctx: any = MemFlow.workflow.getContext();
  const before = ctx.COUNTER.counter;
  await MemFlow.workflow.sleepFor('1 millisecond'); // one durable call: COUNTER is live, counter a snapshot
  return {
    counters: { snapshot: ctx.counter - before, live: ctx.COUNTER.counter - before, now: MemFlow.workflow.getContext().counter - before },
    keys: Object.keys(ctx).sort(),
    workflowId: ctx.workflowId,
    namespace: ctx.namespace,
    workflowTopic: ctx.workflowTopic,
    workflowDimension: ctx.workflowDimension,
    canRetry: ctx.canRetry,
  };
}

describe('spec surface', () => {
  let client: Client;
  beforeAll(async () => {
    const connection = specConnection();
    client = new Client({ connection });
    for (const workflow of [numberSearch, numberEntity, numberMisc, emitEveryRun, plainTimerAwait, contextFields]) await Worker.create({ connection, namespace, taskQueue, workflow });
  });
  afterAll(() => MemFlow.shutdown());
  const run = async (workflowName: string) =>
    (await client.workflow.start({ namespace, taskQueue, workflowName, args: [], workflowId: MemFlow.guid() })).result();

  it('§1.1 package exports', () => {
    for (const name of ['MemFlow', 'Client', 'Connection', 'Worker', 'workflow', 'WorkflowHandle', 'proxyActivities', 'Search', 'Entity', 'Context', 'Errors', 'Enums', 'Types']) {
      expect((hotmesh as any)[name], name).toBeDefined();
    }
    expect(hotmesh.Client).toBe(MemFlow.Client);
    expect(hotmesh.workflow).toBe(MemFlow.workflow);
    expect(hotmesh.proxyActivities).toBe(MemFlow.workflow.proxyActivities);
  });

  it('§1.2 MemFlow statics', () => {
    for (const name of ['Client', 'Connection', 'Worker', 'Handle', 'workflow', 'Search', 'Entity', 'Context', 'registerActivityWorker', 'registerInterceptor', 'registerActivityInterceptor', 'clearInterceptors', 'clearActivityInterceptors', 'didInterrupt', 'guid', 'shutdown']) {
      expect((MemFlow as any)[name], name).toBeDefined();
    }
    for (const name of ['find', 'findById', 'findByCondition', 'createIndex']) expect(typeof (MemFlow.Entity as any)[name], name).toBe('function');
    expect(typeof MemFlow.Search.findAllUserData).toBe('function');
  });

  it('§1.2 Search.findAllUserData refuses a bad engine handle or id with a ValidationError, as the Entity statics do', async () => {
    // a black-box pass: `{}` and undefined gave a TypeError from deep inside
    for (const bad of [{}, undefined, null, { engine: 5 }]) {
      await expect(MemFlow.Search.findAllUserData('some-job', bad as never)).rejects.toBeInstanceOf(hotmesh.ValidationError);
    }
    await expect(MemFlow.Search.findAllUserData('some-job', {} as never)).rejects.toThrow(/Invalid hotMesh: must be the engine handle/);
    await expect(MemFlow.Search.findAllUserData('', {} as never)).rejects.toThrow(/Invalid jobId/);
  });

  it('§1.2 Search statics listSearchIndexes / configureSearchIndex exist', () => {
    expect(typeof (MemFlow.Search as any).listSearchIndexes).toBe('function');
    expect(typeof (MemFlow.Search as any).configureSearchIndex).toBe('function');
  });

  it('§5.15 MemFlow.workflow has the 23 upstream members plus context', () => {
    const members = ['getContext', 'didRun', 'isSideEffectAllowed', 'trace', 'enrich', 'emit', 'execChild', 'executeChild', 'startChild', 'execHook', 'execHookBatch', 'hook', 'proxyActivities', 'search', 'entity', 'random', 'signal', 'didInterrupt', 'interrupt', 'all', 'sleepFor', 'waitFor', 'getHotMesh', 'context'];
    const missing = members.filter((m) => typeof (MemFlow.workflow as any)[m] !== 'function');
    expect(missing).toEqual([]);
  });

  it('§6 error classes and codes', () => {
    const E: any = MemFlow.Errors;
    const codes: Record<string, number> = {
      MemFlowSleepError: 588, MemFlowWaitForAllError: 589, MemFlowChildError: 590, MemFlowProxyError: 591, MemFlowWaitForError: 595,
      MemFlowTimeoutError: 596, MemFlowMaxedError: 597, MemFlowFatalError: 598, MemFlowRetryError: 599,
    };
    for (const [name, code] of Object.entries(codes)) {
      expect(E[name], name).toBeDefined();
      const err = new E[name]('m');
      expect(err.code, name).toBe(code);
      expect(MemFlow.didInterrupt(err), name).toBe(true);
    }
    expect(new E.MemFlowFatalError('x').type).toBe('MemFlowFatalError');
    // §6: MemFlowWaitForError carries signalId, index, workflowDimension (built from an object, its
    // message was '[object Object]' and it had none of them)
    const waitFor = new E.MemFlowWaitForError({ signalId: 's', index: 3, workflowDimension: '', code: 1 });
    expect({ signalId: waitFor.signalId, index: waitFor.index, workflowDimension: waitFor.workflowDimension, code: waitFor.code }).toEqual({ signalId: 's', index: 3, workflowDimension: '', code: 595 });
    expect(waitFor.message).toBe('MemFlow suspension');
    const dup = new E.DuplicateJobError('id1');
    expect(dup.message).toBe('Duplicate job: id1');
    expect(dup.jobId).toBe('id1');
    // GetStateError (404, '<id> Not Found') is the not-found every read rejects with
    const missing = new E.JobNotFoundError('id2');
    expect(missing).toBeInstanceOf(E.GetStateError);
    expect(missing.code).toBe(404);
    expect(missing.message).toBe('id2 Not Found');
    expect(MemFlow.didInterrupt(new Error('plain'))).toBe(false);
    // a waitFor timeout is a MemFlowTimeoutError (596), so one of the nine (a black-box pass: false)
    const waited = new hotmesh.WaitTimeoutError('approval', 500);
    expect(waited).toBeInstanceOf(E.MemFlowTimeoutError);
    expect(MemFlow.didInterrupt(waited)).toBe(true);
    expect((MemFlow.Enums as any).HMSH_CODE_MEMFLOW_FATAL).toBe(598);
    expect((MemFlow.Enums as any).HMSH_CODE_INTERRUPT).toBe(410);
  });

  it('§5.0.2 numbering: emit/trace once take an index, trace once:false takes none', async () => {
    expect(await run('numberMisc')).toEqual([dR(1), dR(6)]);
  });

  // generous: what these pin is a workflow that never finishes
  const within = <T>(p: Promise<T>, ms = 20_000) =>
    Promise.race([p, new Promise((_, reject) => setTimeout(() => reject(new Error(`workflow did not finish within ${ms} ms`)), ms))]);

  it('§5.11 emit(events, { once: false }) completes (takes no index)', async () => {
    expect(await within(run('emitEveryRun'))).toBe(dR(1));
  }, 30_000);

  it('a workflow awaiting a plain timer (non-durable async code) completes', async () => {
    expect(await within(run('plainTimerAwait'))).toBe('done');
  }, 30_000);

  // Deliberate deviation (docs/design-decisions.md): search() and entity() take no index, and each
  // of their ops is a durable call of its own with a full index. Upstream's sub-indexes (and dR(2)
  // here) are not kept; helloworld/basic numbering (random, proxy, sleep, ...) is unchanged.
  it('§5.0.2 numbering: search() and its ops, as this engine numbers them', async () => {
    expect(await run('numberSearch')).toBe(dR(3)); // set, incr: seqs 1-2
  });

  it('§5.0.2 numbering: entity() and its ops, as this engine numbers them', async () => {
    expect(await run('numberEntity')).toBe(dR(4)); // set, merge, get: seqs 1-3
  });

  it('§5.14 getContext() fields', async () => {
    const r: any = await run('contextFields');
    expect(r.namespace).toBe(namespace);
    expect(r.workflowTopic).toBe('surface-contextFields');
    expect(r.workflowDimension).toBe('');
    expect(typeof r.canRetry).toBe('boolean');
    expect(r.counters, 'COUNTER is the live {counter} object (it was a copy)').toEqual({ snapshot: 0, live: 1, now: 1 });
    const expected = ['workflowId', 'namespace', 'workflowTopic', 'workflowDimension', 'originJobId', 'canRetry', 'counter', 'COUNTER', 'cursor', 'replay', 'interruptionRegistry', 'expire', 'connection', 'raw', 'workflowTrace', 'workflowSpan'];
    expect(expected.filter((k) => !r.keys.includes(k))).toEqual([]);
  });
});
