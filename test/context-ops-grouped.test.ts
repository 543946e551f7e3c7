/**
 * Context ops from outside on one job, grouped (engine/context-lanes.ts): ops under way together on
 * one job share a statement, apply in the order the process made them, and each caller still gets its
 * own answer; a group the database refuses fails only the op at fault; an op id repeated inside a
 * group applies once. Before, each op went on its own pooled connection: on PostgreSQL 40 concurrent
 * increments answered in a random order, each paying a commit of its own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../src/engine/engine.js';
import { ContextTypeError, MemFlow, type MemFlowInstance } from '../src/index.js';
import * as context from '../src/sql/queries/context.js';
import { testConnection, uniqueAppId } from './support/backend.js';
import { interceptNamed } from './support/intercept-named.js';

export async function groupedMemory(): Promise<string> {
  return 'done';
}

describe('context ops from outside, grouped per job', () => {
  let mf: MemFlowInstance;
  let engine: Engine;
  let restore = () => {};
  const sentBy = new Map<string, number>();
  const sent = (query: Parameters<Engine['bind']>[0]) => sentBy.get(engine.bind(query).text) ?? 0;

  beforeAll(async () => {
    mf = await MemFlow.init({ appId: uniqueAppId('ctx-grouped'), engine: { connection: testConnection() }, logLevel: 'error' });
    engine = await mf.client.engine(mf.appId);
    restore = interceptNamed(engine, async (send, name, sql, params) => {
      sentBy.set(sql, (sentBy.get(sql) ?? 0) + 1);
      return send(name, sql, params);
    });
    await mf.worker.create({ taskQueue: 'ctx-grouped', workflow: groupedMemory });
  });
  afterAll(async () => {
    restore();
    await mf.shutdown();
  });

  const newJob = async () => {
    const handle = await mf.workflow.start({ taskQueue: 'ctx-grouped', workflowName: 'groupedMemory' });
    await handle.result();
    return handle;
  };

  it('40 increments at once: fewer statements than ops, answered in call order, every version logged once', async () => {
    const handle = await newJob();
    const memory = handle.context({ actor: 'many' });
    const before = { one: sent(context.contextOpOutside), many: sent(context.contextOpsOutside) };
    const answers = await Promise.all(Array.from({ length: 40 }, () => memory.increment('count')));
    expect(answers).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(await memory.get('count')).toBe(40);
    const statements = sent(context.contextOpOutside) - before.one + (sent(context.contextOpsOutside) - before.many);
    expect(sent(context.contextOpsOutside) - before.many).toBeGreaterThan(0);
    expect(statements).toBeLessThan(40);
    const history = await memory.history();
    expect(history.map((c) => c.version)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(history.every((c) => c.op === 'increment' && c.actor === 'many')).toBe(true);
    expect(engine.contextOps.busyJobs).toBe(0); // an idle job's lane is dropped
  });

  it('a set, a merge and an append made together apply in that order', async () => {
    const memory = (await newJob()).context();
    await memory.set({ list: [] });
    const [, , afterMerge, appended] = await Promise.all([
      memory.increment('n'),
      memory.set({ list: ['a'], n: 100 }),
      memory.merge({ tag: 'm' }),
      memory.append('list', 'b'),
    ]);
    expect(afterMerge).toEqual({ list: ['a'], n: 100, tag: 'm' });
    expect(appended).toEqual(['a', 'b']);
    expect(await memory.get()).toEqual({ list: ['a', 'b'], n: 100, tag: 'm' });
  });

  it('a group with one op at fault fails that op only; the others apply, in order', async () => {
    const memory = (await newJob()).context();
    await memory.set({ name: 'text', n: 0 });
    const ops = [
      ...Array.from({ length: 5 }, () => memory.increment('n')),
      memory.increment('name'), // a string: a type clash
      ...Array.from({ length: 5 }, () => memory.increment('n')),
    ];
    const settled = await Promise.allSettled(ops);
    const bad = settled[5]!;
    expect(bad.status).toBe('rejected');
    expect((bad as PromiseRejectedResult).reason).toBeInstanceOf(ContextTypeError);
    const good = settled.filter((_, i) => i !== 5).map((s) => (s as PromiseFulfilledResult<number>).value);
    expect(good).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(await memory.get()).toEqual({ name: 'text', n: 10 });
    expect(await memory.version()).toBe(11); // the set and ten increments
  });

  it('an op id used twice in one wave applies once, and both callers get its answer', async () => {
    const memory = (await newJob()).context();
    await memory.set({ n: 0 });
    const once = memory.withOpId('pay-1');
    const answers = await Promise.all([memory.increment('n'), once.increment('n', 5), once.increment('n', 5), memory.increment('n')]);
    expect(answers).toEqual([1, 6, 6, 7]);
    expect(await memory.get('n')).toBe(7);
    expect(await memory.version()).toBe(4);
  });

  it('ops on a job that does not exist fail with JobNotFoundError, grouped or not', async () => {
    const memory = await mf.workflow.context('no-such-job-for-grouping');
    const settled = await Promise.allSettled([memory.increment('n'), memory.increment('n'), memory.set({ a: 1 })]);
    for (const s of settled) {
      expect(s.status).toBe('rejected');
      expect((s as PromiseRejectedResult).reason.name).toBe('JobNotFoundError');
    }
  });
});
