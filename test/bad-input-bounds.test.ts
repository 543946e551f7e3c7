/**
 * Input a black-box pass got past the checks (both backends). Each reached the database as a raw
 * error, a plain TypeError, or was accepted and changed, where the README promises a ValidationError
 * naming what was wrong, before any SQL:
 *   - numbers with no upper bound: an `expire` of 1e13 s was accepted, the workflow ran, and the
 *     statement that ends it was refused ("timestamp out of range"); versions, limits and offsets
 *     past a bigint;
 *   - a context `actor` that was not an id (NUL reached SQL, a lone surrogate came back as U+FFFD);
 *   - list filters: any number of search fields (300 ran into the statement timeout), a value with a
 *     lone surrogate that matched another job's U+FFFD;
 *   - values nested 10,000 deep (a stack overflow), an Invalid Date (stored as null);
 *   - options that are not objects, a Symbol namespace, a BigInt status, createIndex fields that
 *     RegExp.test coerced (null made idx_user_null), queryState('x'), findById with no engine;
 *   - cancelMany() with no filter cancelled every job of the app.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemFlow, type MemFlowInstance } from '../src/index.js';
import { eventually, testConnection, uniqueAppId } from './support/backend.js';

export async function waitsForGo() {
  await MemFlow.workflow.waitFor('go');
  return 'went';
}

export async function quick() {
  return 'ok';
}

export async function echo(value: unknown) {
  return value;
}

const refused = (field: string) => ({ kind: 'ValidationError', message: expect.stringContaining(field) });

/** A value nested `depth` arrays deep. */
function nested(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

describe('bad input: bounds and shapes', () => {
  let mf: MemFlowInstance;
  let hotMesh: Awaited<ReturnType<MemFlowInstance['client']['getHotMeshClient']>>;
  beforeAll(async () => {
    mf = await MemFlow.init({ appId: uniqueAppId('bounds'), engine: { connection: testConnection() } });
    await mf.worker.create({ taskQueue: 'bounds', workflow: waitsForGo });
    await mf.worker.create({ taskQueue: 'bounds', workflow: quick });
    await mf.worker.create({ taskQueue: 'bounds', workflow: echo });
    hotMesh = await mf.client.getHotMeshClient('bounds', mf.appId);
  });
  afterAll(() => mf.shutdown());

  it('refuses an expire PostgreSQL cannot hold before any SQL (a start, a signal, an interrupt); a very long one still works', async () => {
    await expect(mf.workflow.start({ taskQueue: 'bounds', workflowName: 'quick', expire: 1e13 })).rejects.toMatchObject(refused('expire'));
    const kept = await mf.workflow.start({ taskQueue: 'bounds', workflowName: 'quick', expire: 5e12 });
    expect(await kept.result()).toBe('ok');
    await expect(mf.workflow.signal('s', { a: 1 }, undefined, { expire: 1e15 })).rejects.toMatchObject(refused('expire'));
    const waiting = await mf.workflow.start({ taskQueue: 'bounds', workflowName: 'waitsForGo' });
    await expect(waiting.interrupt({ expire: 1e20 })).rejects.toMatchObject(refused('expire'));
    await waiting.signal('go', {});
    expect(await waiting.result()).toBe('went');
  });

  it('refuses versions, limits and offsets past an exact integer, and an actor that is not an id', async () => {
    const handle = await mf.workflow.start({ taskQueue: 'bounds', workflowName: 'quick', entity: 'bounded' });
    await handle.result();
    const ctx = handle.context();
    await ctx.increment('n');
    await expect(ctx.at(1e20)).rejects.toMatchObject(refused('version'));
    // a version the context has not reached is refused, not answered with the current document
    await expect(ctx.at(2)).rejects.toMatchObject({ kind: 'ValidationError', message: expect.stringContaining('current version 1') });
    expect(await ctx.at(1)).toEqual({ n: 1 });
    expect(await ctx.at(0)).toEqual({});
    await expect(ctx.history({ afterVersion: 1e20 })).rejects.toMatchObject(refused('afterVersion'));
    await expect(ctx.history({ limit: 1e20 })).rejects.toMatchObject(refused('limit'));
    await expect(MemFlow.Entity.find('bounded', {}, hotMesh, { limit: 1e20 })).rejects.toMatchObject(refused('limit'));
    await expect(MemFlow.Entity.find('bounded', {}, hotMesh, { offset: 1e20 })).rejects.toMatchObject(refused('offset'));
    for (const actor of ['a\u0000b', 'a\uD800b', 42, { a: 1 }, 'x'.repeat(300)]) {
      // a handle's context() is synchronous (as for a bad workflow id); the client's is a promise
      expect(() => handle.context({ actor: actor as string })).toThrow(expect.objectContaining(refused('actor')));
      await expect(mf.workflow.context(handle.workflowId, { actor: actor as string })).rejects.toMatchObject(refused('actor'));
    }
    // nothing of it was written: one change, by the default actor
    expect((await ctx.history()).map((c) => c.actor)).toEqual(['client']);
    await handle.context({ actor: 'agent-7' }).increment('n');
    expect((await ctx.history()).map((c) => c.actor)).toEqual(['client', 'agent-7']);
  });

  it('list filters: at most 16 search fields, and no value a job could not hold', async () => {
    const handle = await mf.workflow.start({ taskQueue: 'bounds', workflowName: 'quick', search: { data: { f: 'a\uFFFDb' } } });
    await handle.result();
    const many = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`f${i}`, 'v']));
    await expect(mf.workflow.counts({ search: many(17) })).rejects.toMatchObject(refused('16'));
    await expect(mf.workflow.list({ search: many(300) })).rejects.toMatchObject(refused('16'));
    await expect(mf.workflow.cancelMany({ search: many(17) })).rejects.toMatchObject(refused('16'));
    expect((await mf.workflow.list({ search: many(16) })).items).toEqual([]);
    await expect(mf.workflow.list({ search: { f: 'a\uD800b' } })).rejects.toMatchObject(refused('search'));
    expect((await mf.workflow.list({ search: { f: 'a\uFFFDb' } })).items.map((i) => i.workflowId)).toEqual([handle.workflowId]);
  });

  it('refuses values nested past 2,000 levels and Invalid Dates, which JSON would change', async () => {
    await expect(mf.workflow.start({ taskQueue: 'bounds', workflowName: 'quick', args: [nested(10_000)] })).rejects.toMatchObject(refused('2000'));
    await expect(mf.workflow.signal('s', { deep: nested(10_000) })).rejects.toMatchObject(refused('2000'));
    await expect(mf.workflow.start({ taskQueue: 'bounds', workflowName: 'quick', args: [{ at: new Date(Number.NaN) }] })).rejects.toMatchObject(
      refused('Invalid Date'),
    );
    // deep values that worked before still round-trip: as arguments and as a workflow's result
    const deep = await mf.workflow.start({ taskQueue: 'bounds', workflowName: 'echo', args: [nested(1_900)] });
    expect(await deep.result()).toEqual(nested(1_900));
  });

  it('options of the wrong shape are ValidationErrors, not TypeErrors', async () => {
    await expect(mf.workflow.start(null as never)).rejects.toMatchObject(refused('options'));
    await expect(mf.workflow.start(undefined as never)).rejects.toMatchObject(refused('options'));
    await expect(mf.workflow.hook(undefined as never)).rejects.toMatchObject(refused('options'));
    await expect(mf.client.workflow.start({ taskQueue: 'bounds', workflowName: 'quick', namespace: Symbol('x') as never })).rejects.toMatchObject(
      refused('appId'),
    );
    await expect(mf.workflow.list({ status: 1n as never })).rejects.toMatchObject(refused('status'));
    await expect(mf.workflow.counts({ status: 1n as never })).rejects.toMatchObject(refused('status'));
    await expect(mf.workflow.context('x', null as never)).resolves.toBeDefined(); // null options: the defaults
    const handle = await mf.workflow.start({ taskQueue: 'bounds', workflowName: 'quick' });
    await expect(handle.queryState('x' as never)).rejects.toMatchObject(refused('fields'));
    await expect(MemFlow.Entity.findById('user', 'x', null as never)).rejects.toMatchObject(refused('hotMesh'));
    await expect(MemFlow.Entity.find('user', 'age' as never, hotMesh)).rejects.toMatchObject(refused('conditions'));
    for (const field of [undefined, null, 42, true, ['a'], Symbol('f')]) {
      await expect(MemFlow.Entity.createIndex('user', field as never, hotMesh)).rejects.toMatchObject(refused('field'));
    }
    await expect(MemFlow.Entity.createIndex(null as never, 'age', hotMesh)).rejects.toMatchObject(refused('entity'));
  });

  it('a type clash deep in a path names what it met', async () => {
    const handle = await mf.workflow.start({ taskQueue: 'bounds', workflowName: 'quick' });
    await handle.result();
    const ctx = handle.context();
    await ctx.set({ s: 'text', list: [1] });
    await expect(ctx.append('s.items', 1)).rejects.toMatchObject({
      kind: 'ContextTypeError',
      message: "Context append at 's.items' cannot apply to a path through a string",
    });
    await expect(ctx.set('list.5.x', 1)).rejects.toMatchObject({ kind: 'ContextTypeError', message: expect.not.stringContaining('cannot apply to a array') });
  });

  it('a bulk action with no filter is refused: {} is how to ask for every job', async () => {
    const handle = await mf.workflow.start({ taskQueue: 'bounds', workflowName: 'waitsForGo' });
    await eventually(async () => (await handle.describe()).status === 'waiting');
    await expect(mf.workflow.cancelMany(undefined as never)).rejects.toMatchObject(refused('{}'));
    await expect(mf.workflow.terminateMany(null as never)).rejects.toMatchObject(refused('{}'));
    await expect(mf.workflow.resumeMany(undefined as never)).rejects.toMatchObject(refused('{}'));
    expect((await handle.describe()).status).toBe('waiting');
    await handle.signal('go', {});
    expect(await handle.result()).toBe('went');
  });
});
