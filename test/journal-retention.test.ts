/**
 * Bounded growth (issue 12): with `journalRetention`, the sweeper deletes the journals of threads
 * finished longer ago than that, oldest first, in bounded batches, and keeps a summary on the thread;
 * the job's result, context and context log stay, and running threads are never touched.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemFlow, type MemFlowInstance, ValidationError } from '../src/index.js';
import { SILENT_LOGGER } from '../src/telemetry/logger.js';
import { Sweeper } from '../src/worker/sweeper.js';
import { eventually, testConnection, uniqueAppId } from './support/backend.js';

const acts = MemFlow.workflow.proxyActivities({
  activities: {
    async step(n: number) {
      return n * 2;
    },
  },
});

export async function threeSteps(): Promise<number> {
  const ctx = await MemFlow.workflow.context();
  let sum = 0;
  for (let i = 1; i <= 3; i++) sum += await acts.step(i);
  await ctx.set({ sum });
  return sum;
}

export async function failsAtTheEnd(): Promise<void> {
  await acts.step(1);
  throw new MemFlow.Errors.MemFlowFatalError('gives up');
}

export async function waitsForGo(): Promise<string> {
  await acts.step(1);
  return MemFlow.workflow.waitFor<string>('go');
}

describe('journal retention', () => {
  let mf: MemFlowInstance;
  beforeAll(async () => {
    mf = await MemFlow.init({ appId: uniqueAppId('retention'), engine: { connection: testConnection() }, logLevel: 'silent' });
    for (const workflow of [threeSteps, waitsForGo, failsAtTheEnd]) await mf.worker.create({ taskQueue: 'keep', workflow });
  });
  afterAll(() => mf.shutdown());

  it('compacts finished threads past the retention, keeps their summary, result and context, and leaves running ones alone', async () => {
    const done = await mf.workflow.start({ taskQueue: 'keep', workflowName: 'threeSteps' });
    expect(await done.result()).toBe(12);
    const waiting = await mf.workflow.start({ taskQueue: 'keep', workflowName: 'waitsForGo' });
    const engine = await mf.client.engine(mf.appId);
    const s = engine.sqlSchema;
    const journal = async (id: string) => (await engine.driver.query(`SELECT seq FROM ${s}.journal WHERE job_id = $1`, [id])).rowCount;
    await eventually(async () => (await journal(waiting.workflowId)) === 1);
    expect(await journal(done.workflowId)).toBe(4);

    // not old enough yet: nothing goes
    expect((await new Sweeper(engine, SILENT_LOGGER, 3_600_000).sweep()).compactedThreads).toBe(0);
    expect(await journal(done.workflowId)).toBe(4);

    await new Promise((r) => setTimeout(r, 50));
    const swept = await new Sweeper(engine, SILENT_LOGGER, 10).sweep();
    expect(swept.compactedThreads).toBe(1);
    expect(await journal(done.workflowId)).toBe(0);
    expect(await journal(waiting.workflowId), 'a running thread keeps its journal').toBe(1);
    const thread = await engine.driver.query(`SELECT journal_summary, compacted_at IS NOT NULL AS compacted FROM ${s}.threads WHERE job_id = $1`, [done.workflowId]);
    expect(thread.rows[0]).toEqual({ journal_summary: { calls: 4, byKind: { activity: 3, context: 1 } }, compacted: true });

    // what was kept is visible: describe() and the export carry the summary, and an export with no
    // journal left is refused by replay (it "replayed" against any function, a black-box pass)
    const summary = { calls: 4, byKind: { activity: 3, context: 1 } };
    expect((await done.describe()).compacted).toEqual(summary);
    const exported = (await done.export()) as { history: { compacted?: unknown; entries: unknown[] } };
    expect(exported.history).toMatchObject({ compacted: summary, compactedThreads: { main: summary }, entries: [] });
    await expect(MemFlow.testing.replay(exported as never, async () => 'anything')).rejects.toMatchObject({
      kind: 'ValidationError',
      message: expect.stringContaining('compacted'),
    });
    expect((await waiting.describe()).compacted).toBeUndefined();

    // the record stays: result, context, context log
    expect(await done.result()).toBe(12);
    const ctx = await mf.workflow.context(done.workflowId);
    expect(await ctx.get()).toEqual({ sum: 12 });
    expect((await ctx.history()).map((c) => c.op)).toEqual(['set']);

    // a second round finds nothing more
    expect((await new Sweeper(engine, SILENT_LOGGER, 10).sweep()).compactedThreads).toBe(0);
    await waiting.signal('go', 'went');
    expect(await waiting.result()).toBe('went');
  });

  it('a compacted thread cannot be replayed: retry and fork are refused with WorkflowStateError', async () => {
    const failed = await mf.workflow.start({ taskQueue: 'keep', workflowName: 'failsAtTheEnd' });
    await expect(failed.result()).rejects.toThrow(/gives up/);
    const engine = await mf.client.engine(mf.appId);
    await new Promise((r) => setTimeout(r, 50));
    await new Sweeper(engine, SILENT_LOGGER, 10).sweep();
    await expect(failed.retry()).rejects.toMatchObject({
      kind: 'WorkflowStateError',
      action: 'retry',
      state: 'failed with its journal compacted',
      message: expect.stringContaining('(retry applies to uncompacted workflows)'),
    });
    await expect(failed.fork()).rejects.toMatchObject({ kind: 'WorkflowStateError', action: 'fork' });
  });

  it('refuses a retention that is not a duration before opening anything', async () => {
    await expect(MemFlow.init({ appId: uniqueAppId('retention-bad'), engine: { connection: testConnection() }, worker: { journalRetention: 'soon' } })).rejects.toBeInstanceOf(ValidationError);
    await expect(mf.worker.create({ taskQueue: 'keep', workflow: threeSteps, options: { journalRetention: -5 } })).rejects.toThrow(/journalRetention/);
  });
});
