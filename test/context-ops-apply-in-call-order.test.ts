/**
 * Context ops a workflow issues together (one `Promise.all`) apply in the order it called them. On
 * PostgreSQL each op's statement could go out on another pooled connection, so a `set` called before
 * a `merge` and an `append` sometimes applied after them and wiped them: the same code left different
 * permanent memory from run to run (found by a review; PGlite, one session, always kept call order).
 */
import { MemFlow, type MemFlowInstance } from 'hotmesh';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConnection, uniqueAppId } from './support/backend.js';

export async function orderedBurst() {
  const ctx = await MemFlow.workflow.context();
  return Promise.all([ctx.set({ phase: 'init', items: [] }), ctx.merge({ phase: 'merged' }), ctx.append('items', 'x')]);
}

export async function orderedCounters() {
  const ctx = await MemFlow.workflow.context();
  return Promise.all([ctx.increment('a'), ctx.increment('a'), ctx.append('list', 'x'), ctx.get('a'), ctx.increment('a', 10)]);
}

describe('context ops issued together apply in call order', () => {
  let mf: MemFlowInstance;
  beforeAll(async () => {
    mf = await MemFlow.init({ appId: uniqueAppId('ctx-order'), engine: { connection: testConnection() }, logLevel: 'error' });
    await mf.worker.create({ taskQueue: 'order', workflow: orderedBurst });
    await mf.worker.create({ taskQueue: 'order', workflow: orderedCounters });
  });
  afterAll(() => mf.shutdown());

  it('a set, a merge and an append in one Promise.all: the log and the document follow the call order, every run', async () => {
    // eight runs at once and eight in a row: the race showed within eight runs before the fix
    const runs = async () => {
      const handle = await mf.workflow.start({ taskQueue: 'order', workflowName: 'orderedBurst', args: [] });
      await handle.result();
      return { ops: (await handle.context().history()).map((e) => e.op), doc: await handle.context().get() };
    };
    const together = await Promise.all(Array.from({ length: 8 }, runs));
    const inARow: Awaited<ReturnType<typeof runs>>[] = [];
    for (let i = 0; i < 8; i++) inARow.push(await runs());
    for (const run of [...together, ...inARow]) {
      expect(run.ops).toEqual(['set', 'merge', 'append']);
      expect(run.doc).toEqual({ phase: 'merged', items: ['x'] });
    }
  }, 120_000);

  it('increments and a get in one Promise.all: each result is what the ops called before it made', async () => {
    for (let i = 0; i < 6; i++) {
      const handle = await mf.workflow.start({ taskQueue: 'order', workflowName: 'orderedCounters', args: [] });
      expect(await handle.result()).toEqual([1, 2, ['x'], 2, 12]);
      expect((await handle.context().history()).map((e) => e.op)).toEqual(['increment', 'increment', 'append', 'increment']);
    }
  }, 120_000);
});
