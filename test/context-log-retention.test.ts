/**
 * Bounded growth (issue 12): with `contextLogRetention`, the sweeper deletes each job's context log
 * entries older than the policy keeps, in whole checkpoints (every 32nd version), so time travel to
 * every kept version still answers, and a version before them is refused with a typed error (not a
 * document rebuilt from a log with a hole). Entries a thread's journal still refers to (a large
 * context result, replayed from the log) are never deleted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemFlow, type MemFlowInstance, ValidationError } from '../src/index.js';
import type { Engine } from '../src/engine/engine.js';
import { SILENT_LOGGER } from '../src/telemetry/logger.js';
import type { ContextLogBound } from '../src/worker/context-log-retention.js';
import { Sweeper } from '../src/worker/sweeper.js';
import { eventually, testConnection, uniqueAppId } from './support/backend.js';

export async function counts(to: number): Promise<number> {
  const ctx = await MemFlow.workflow.context();
  for (let i = 0; i < to; i++) await ctx.increment('n', 1);
  return to;
}

/** A large result first (journaled as a reference to version 1), then counting, then a wait. */
export async function bigThenCounts(to: number): Promise<{ big: number; n: number }> {
  const ctx = await MemFlow.workflow.context();
  const doc = (await ctx.set({ big: 'x'.repeat(2000) })) as { big: string };
  for (let i = 0; i < to; i++) await ctx.increment('n', 1);
  await MemFlow.workflow.waitFor<boolean>('go');
  return { big: doc.big.length, n: ((await ctx.get('n')) as number) ?? 0 };
}

/** 80 increments, then a large set: a journal reference to version 81. */
export async function countsThenBig(): Promise<number> {
  const ctx = await MemFlow.workflow.context();
  for (let i = 0; i < 80; i++) await ctx.increment('n', 1);
  const doc = (await ctx.set({ big: 'x'.repeat(2000) })) as { big: string };
  return doc.big.length;
}

describe('context log retention', () => {
  let mf: MemFlowInstance;
  let engine: Engine;
  const appId = uniqueAppId('ctxkeep');
  const sweep = (bound: ContextLogBound) => new Sweeper(engine, SILENT_LOGGER, undefined, bound).sweep();
  const logVersions = async (jobId: string) =>
    (await engine.driver.query<{ v: string }>(`SELECT version::text AS v FROM ${engine.sqlSchema}.context_log WHERE job_id = $1 ORDER BY version`, [jobId])).rows.map(
      (r) => Number(r.v),
    );

  beforeAll(async () => {
    mf = await MemFlow.init({ appId, engine: { connection: testConnection() }, logLevel: 'silent', worker: { contextLogRetention: { versions: 40 } } });
    await mf.worker.create({ taskQueue: 'keep', workflow: counts });
    await mf.worker.create({ taskQueue: 'keep', workflow: bigThenCounts });
    await mf.worker.create({ taskQueue: 'keep', workflow: countsThenBig });
    engine = await mf.client.engine(appId);
  });
  afterAll(() => mf.shutdown());

  it('keeps at least the last N versions, from a checkpoint; older versions are refused, newer ones answered', async () => {
    const handle = await mf.workflow.start({ taskQueue: 'keep', workflowName: 'counts', args: [100] });
    expect(await handle.result()).toBe(100);
    expect(await logVersions(handle.workflowId)).toHaveLength(100);

    const round = await sweep({ keepVersions: 40, olderThanSeconds: null });
    expect(round.prunedContextLogs).toBeGreaterThanOrEqual(1);
    // 100 - 40 = 60: the newest checkpoint at or below it is 32; versions 32..100 stay
    const kept = await logVersions(handle.workflowId);
    expect(kept[0]).toBe(32);
    expect(kept).toHaveLength(69);
    const ctx = handle.context();
    for (const v of [32, 33, 60, 64, 99, 100]) expect(await ctx.at(v), `version ${v}`).toEqual({ n: v });
    const refused = await ctx.at(31).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ValidationError);
    expect((refused as Error).message).toMatch(/no longer kept.*from version 32/);
    expect((await ctx.history()).map((c) => c.version)[0]).toBe(32);

    // a second round has nothing more to do for it, and the record lives on
    await sweep({ keepVersions: 40, olderThanSeconds: null });
    expect((await logVersions(handle.workflowId))[0]).toBe(32);
    await ctx.increment('n', 1);
    expect(await ctx.get()).toEqual({ n: 101 });
    expect(await ctx.at(101)).toEqual({ n: 101 });
  });

  it('by period: entries older than the period go, down to the newest checkpoint among them', async () => {
    const handle = await mf.workflow.start({ taskQueue: 'keep', workflowName: 'counts', args: [70] });
    expect(await handle.result()).toBe(70);
    await sweep({ keepVersions: null, olderThanSeconds: 3600 });
    expect(await logVersions(handle.workflowId)).toHaveLength(70); // nothing is an hour old
    await new Promise((r) => setTimeout(r, 20));
    await sweep({ keepVersions: null, olderThanSeconds: 0.01 });
    expect((await logVersions(handle.workflowId))[0]).toBe(64);
    expect(await handle.context().at(70)).toEqual({ n: 70 });
  });

  it('never deletes what a thread\'s journal refers to: the waiting workflow replays its large result', async () => {
    const handle = await mf.workflow.start({ taskQueue: 'keep', workflowName: 'bigThenCounts', args: [80] });
    await eventually(async () => (await logVersions(handle.workflowId)).length === 81);
    await sweep({ keepVersions: 10, olderThanSeconds: null });
    expect((await logVersions(handle.workflowId))[0]).toBe(1); // version 1 is referred to: kept
    await handle.signal('go', true);
    expect(await handle.result()).toEqual({ big: 2000, n: 80 });
  });

  // the three below are a review's findings, each failing before its fix
  it('a fork of a pruned job copies its checkpoints and cutoff: it replays, time-travels, and refuses what is gone', async () => {
    const h = await mf.workflow.start({ taskQueue: 'keep', workflowName: 'countsThenBig', args: [] });
    expect(await h.result()).toBe(2000);
    await sweep({ keepVersions: 10, olderThanSeconds: null });
    expect((await logVersions(h.workflowId))[0]).toBe(64);
    const fork = await h.fork();
    expect(await fork.result()).toBe(2000); // replays the reference to version 81 from checkpoint 64
    expect(await fork.context().at(70)).toEqual({ n: 70 });
    expect(await fork.context().at(63).catch((e: unknown) => e)).toBeInstanceOf(ValidationError);
    // a fork point whose context is no longer kept is refused, with nothing written
    const early = await h.fork({ fromSeq: 10 }).catch((e: unknown) => e);
    expect(early).toBeInstanceOf(ValidationError);
    expect((early as Error).message).toMatch(/no longer kept/);
  });

  it('an op id stays: a retried op (withOpId) is applied once, even after the entries around it were pruned', async () => {
    const h = await mf.workflow.start({ taskQueue: 'keep', workflowName: 'counts', args: [10] });
    await h.result();
    const once = h.context().withOpId(`charge-${Date.now()}`);
    await once.increment('paid', 1);
    for (let i = 0; i < 70; i++) await h.context().increment('n', 1);
    await sweep({ keepVersions: 10, olderThanSeconds: null });
    expect((await logVersions(h.workflowId)).filter((v) => v < 64)).toEqual([11]); // the op-id entry only
    await once.increment('paid', 1); // the client's retry of the same op
    expect(await h.context().get('paid')).toBe(1);
  });

  it('jobs held back by a journal reference do not take the batch from the others', async () => {
    const blocked = [];
    for (let i = 0; i < 3; i++) {
      const h = await mf.workflow.start({ taskQueue: 'keep', workflowName: 'bigThenCounts', workflowId: `a-held-${Date.now()}-${i}`, args: [80] });
      await h.signal('go', true);
      await h.result();
      blocked.push(h);
    }
    const free = await mf.workflow.start({ taskQueue: 'keep', workflowName: 'counts', workflowId: `z-free-${Date.now()}`, args: [80] });
    await free.result();
    for (let round = 0; round < 3; round++) {
      await engine.driver.query(`SELECT * FROM ${engine.sqlSchema}.prune_context_logs(10, NULL, 2)`);
    }
    expect((await logVersions(free.workflowId))[0]).toBe(64);
    for (const h of blocked) expect((await logVersions(h.workflowId))[0]).toBe(1);
  });

  it('a bad policy is refused before anything opens', async () => {
    for (const bad of [{ versions: 0 }, { versions: 1.5 }, { period: 'soon' }, { versions: 3, period: '1 day' }, 'all', null]) {
      const err = await MemFlow.init({ appId: uniqueAppId('badkeep'), engine: { connection: testConnection() }, worker: { contextLogRetention: bad as never } }).catch(
        (e: unknown) => e,
      );
      expect(err, JSON.stringify(bad)).toBeInstanceOf(ValidationError);
      expect((err as Error).message).toContain('worker.contextLogRetention');
    }
  });
});
