/**
 * The management API's read side (issue 8), on both backends: list (filters, statuses, keyset
 * pagination), counts, apps, describe (waitingFor: signals, timers, children, unserved topics),
 * history and export's history, and bad input refused with a ValidationError before any SQL runs.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { JobNotFoundError, MemFlow, type MemFlowInstance, ValidationError, type WorkflowListItem } from '../src/index.js';
import { eventually, testConnection, uniqueAppId } from './support/backend.js';
import { untilWaiting } from './support/job-state.js';

const { step } = MemFlow.workflow.proxyActivities({
  activities: {
    async step(n: number) {
      return n * 2;
    },
  },
  retryPolicy: { maximumAttempts: 1, backoffCoefficient: 1, maximumInterval: '1s' },
});

export async function waiter(name: string) {
  const doubled = await step(21);
  const data = await MemFlow.workflow.waitFor<{ ok: boolean }>('go');
  return { name, doubled, data };
}

export async function napper() {
  await MemFlow.workflow.sleepFor('1 hour');
  return 'woke';
}

export async function failer() {
  await step(1);
  throw new MemFlow.Errors.MemFlowFatalError('broken on purpose');
}

export async function tagged(tag: string) {
  await MemFlow.workflow.enrich({ tag });
  return tag;
}

export async function parent() {
  const id = MemFlow.workflow.getContext().workflowId;
  return MemFlow.workflow.execChild({ taskQueue: 'read', workflowName: 'napper', workflowId: `${id}-child` });
}

describe('management API: read side', () => {
  let mf: MemFlowInstance;
  const appId = uniqueAppId('mgread');

  beforeAll(async () => {
    mf = await MemFlow.init({ appId, engine: { connection: testConnection() } });
    for (const workflow of [waiter, napper, failer, tagged, parent]) await mf.worker.create({ taskQueue: 'read', workflow });
  });
  afterAll(() => mf.shutdown());

  it('lists jobs newest first with their statuses, and filters them', async () => {
    const waiting = await mf.workflow.start({ taskQueue: 'read', workflowName: 'waiter', workflowId: 'ls-waiting', args: ['w'] });
    const db = await mf.client.engine(appId);
    await untilWaiting(db, waiting.workflowId, 'go');
    const done = await mf.workflow.start({ taskQueue: 'read', workflowName: 'tagged', workflowId: 'ls-done', args: ['blue'] });
    await done.result();
    const failed = await mf.workflow.start({ taskQueue: 'read', workflowName: 'failer', workflowId: 'ls-failed' });
    await expect(failed.result()).rejects.toThrow('broken on purpose');
    const terminated = await mf.workflow.start({ taskQueue: 'read', workflowName: 'napper', workflowId: 'ls-terminated' });
    await eventually(async () => (await terminated.describe()).status === 'waiting');
    await terminated.interrupt();
    // a topic no worker serves: its job stays runnable (status running)
    const orphan = await mf.workflow.start({ taskQueue: 'nobody', workflowName: 'napper', workflowId: 'ls-orphan' });

    const page = await mf.workflow.list({ idPrefix: 'ls-' });
    expect(page.nextCursor).toBeNull();
    const byId = Object.fromEntries(page.items.map((i) => [i.workflowId, i]));
    expect(page.items.map((i) => i.workflowId)).toEqual(['ls-orphan', 'ls-terminated', 'ls-failed', 'ls-done', 'ls-waiting']);
    expect(byId['ls-waiting']!.status).toBe('waiting');
    expect(byId['ls-done']!.status).toBe('completed');
    expect(byId['ls-failed']!.status).toBe('failed');
    expect(byId['ls-terminated']!.status).toBe('terminated');
    expect(byId['ls-orphan']!.status).toBe('running');
    const item = byId['ls-done']!;
    expect(item).toMatchObject({ workflowName: 'tagged', taskQueue: 'read', entity: null, parentId: null });
    expect(item.createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(item.completedAt).not.toBeNull();
    expect(byId['ls-waiting']!.completedAt).toBeNull();

    const ids = async (options: Parameters<typeof mf.workflow.list>[0]) => (await mf.workflow.list({ idPrefix: 'ls-', ...options })).items.map((i) => i.workflowId);
    expect(await ids({ status: 'waiting' })).toEqual(['ls-waiting']);
    expect(await ids({ status: 'running' })).toEqual(['ls-orphan']);
    expect(await ids({ status: ['running', 'waiting'] })).toEqual(['ls-orphan', 'ls-waiting']);
    expect(await ids({ status: ['failed', 'terminated'] })).toEqual(['ls-terminated', 'ls-failed']);
    expect(await ids({ status: ['completed', 'waiting'] })).toEqual(['ls-done', 'ls-waiting']);
    expect(await ids({ workflowName: 'napper' })).toEqual(['ls-orphan', 'ls-terminated']);
    expect(await ids({ taskQueue: 'nobody' })).toEqual(['ls-orphan']);
    expect(await ids({ search: { tag: 'blue' } })).toEqual(['ls-done']);
    expect(await ids({ search: { tag: 'red' } })).toEqual([]);
    expect(await ids({ createdAfter: new Date(Date.now() + 60_000) })).toEqual([]);
    expect(await ids({ createdBefore: new Date(Date.now() + 60_000).toISOString() })).toHaveLength(5);
    expect(await ids({ idPrefix: 'ls-f' })).toEqual(['ls-failed']);

    const counts = await mf.workflow.counts({ idPrefix: 'ls-' });
    expect(counts).toEqual({ running: 1, waiting: 1, completed: 1, failed: 1, parked: 0, cancelled: 0, terminated: 1 });
    expect((await mf.workflow.counts({ idPrefix: 'ls-', status: 'failed' })).failed).toBe(1);
    expect((await mf.workflow.counts({ idPrefix: 'ls-', status: 'failed' })).completed).toBe(0);

    expect(await mf.workflow.apps()).toContain(appId);

    // describe: what the waiting job waits for, the orphan's unserved topic, the failure
    const w = await waiting.describe();
    expect(w).toMatchObject({ workflowId: 'ls-waiting', status: 'waiting', attempt: 1, error: null, stepCount: 1, contextVersion: 0 });
    expect(w.waitingFor.signals).toEqual([{ thread: 'main', seq: 2, signalId: 'go', dueAt: null }]);
    expect(w.waitingFor.unservedTopics).toEqual([]);
    const o = await orphan.describe();
    expect(o.waitingFor.unservedTopics).toEqual(['nobody-napper']);
    const f = await failed.describe();
    expect(f.error).toMatchObject({ message: 'broken on purpose', code: 598 });
    expect(typeof f.error!.stack).toBe('string');
    const t = await terminated.describe();
    expect(t.status).toBe('terminated');
    expect(t.waitingFor.timers).toEqual([]);
    await expect((await mf.workflow.getHandle('read', 'napper', 'ls-nope')).describe()).rejects.toBeInstanceOf(JobNotFoundError);
  });

  it('describes timers and awaited children; history is the journal as plain JSON; export includes it', async () => {
    const p = await mf.workflow.start({ taskQueue: 'read', workflowName: 'parent', workflowId: 'ds-parent' });
    const child = await mf.workflow.getHandle('read', 'napper', 'ds-parent-child');
    await eventually(async () => (await child.describe().catch(() => undefined))?.status === 'waiting');
    await eventually(async () => (await p.describe()).status === 'waiting');
    const c = await child.describe();
    expect(c.parentId).toBe('ds-parent');
    expect(c.waitingFor.timers).toHaveLength(1);
    expect(c.waitingFor.timers[0]).toMatchObject({ thread: 'main', seq: 1 });
    expect(Date.parse(c.waitingFor.timers[0]!.dueAt) - Date.now()).toBeGreaterThan(3_500_000);
    const d = await p.describe();
    expect(d.children).toEqual([{ workflowId: 'ds-parent-child', workflowName: 'napper', status: 'waiting' }]);
    expect(d.waitingFor.children).toEqual([{ thread: 'main', seq: 1, workflowId: 'ds-parent-child', status: 'waiting' }]);
    expect((await mf.workflow.list({ idPrefix: 'ds-parent-' })).items[0]!.parentId).toBe('ds-parent');

    const h = await mf.workflow.start({ taskQueue: 'read', workflowName: 'waiter', workflowId: 'hs-1', args: ['h'] });
    const db = await mf.client.engine(appId);
    await untilWaiting(db, h.workflowId, 'go');
    await h.signal('go', { ok: true });
    expect(await h.result()).toEqual({ name: 'h', doubled: 42, data: { ok: true } });
    const history = await h.history();
    expect(history).toHaveLength(2);
    expect(history[0]).toMatchObject({ thread: 'main', seq: 1, kind: 'activity', name: 'step', status: 'done', result: 42, batch: 1, attempt: 1, dueAt: null });
    expect(history[1]).toMatchObject({ thread: 'main', seq: 2, kind: 'wait', name: 'go', status: 'done', result: { ok: true } });
    expect(history[1]!.batch).toBeGreaterThan(1);
    expect(JSON.parse(JSON.stringify(history))).toEqual(history);
    const exported = await h.export();
    expect(exported.history).toEqual({ workflowId: 'hs-1', workflowName: 'waiter', taskQueue: 'read', args: ['h'], entries: history });
    expect(await h.export({ block: ['history'] })).not.toHaveProperty('history');

    const f = await mf.workflow.start({ taskQueue: 'read', workflowName: 'failer', workflowId: 'hs-2' });
    await expect(f.result()).rejects.toThrow();
    expect(await f.history()).toHaveLength(1);
    await expect((await mf.workflow.getHandle('read', 'waiter', 'hs-none')).history()).rejects.toBeInstanceOf(JobNotFoundError);
  });

  it('pages through any set of jobs exactly once, newest first, at any page size (fast-check)', async () => {
    const prefix = 'pg-';
    const all: string[] = [];
    for (let i = 0; i < 23; i++) {
      const h = await mf.workflow.start({ taskQueue: 'idle', workflowName: 'none', workflowId: `${prefix}${String(i).padStart(2, '0')}` });
      all.unshift(h.workflowId); // newest first
    }
    const whole = (await mf.workflow.list({ idPrefix: prefix, limit: 1000 })).items.map((i) => i.workflowId);
    expect(whole).toEqual(all);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 30 }), fc.constantFrom<'running' | undefined>(undefined, 'running'), async (limit, status) => {
        const seen: WorkflowListItem[] = [];
        let cursor: string | undefined;
        for (let pages = 0; pages < 100; pages++) {
          const page = await mf.workflow.list({ idPrefix: prefix, limit, cursor, status });
          expect(page.items.length).toBeLessThanOrEqual(limit);
          seen.push(...page.items);
          if (!page.nextCursor) break;
          expect(page.items).toHaveLength(limit);
          cursor = page.nextCursor;
        }
        expect(seen.map((i) => i.workflowId)).toEqual(all);
      }),
      { numRuns: 15 },
    );
  });

  it('refuses bad options with a ValidationError before any SQL runs', async () => {
    const engine = await mf.client.engine(appId);
    const named = vi.spyOn(engine.driver, 'named');
    const query = vi.spyOn(engine.driver, 'query');
    try {
      const bad: Array<[unknown, string]> = [
        [{ limit: 0 }, 'limit'],
        [{ limit: 1001 }, 'limit'],
        [{ limit: 2.5 }, 'limit'],
        [{ status: 'sleeping' }, 'status'],
        [{ status: [] }, 'status'],
        [{ cursor: 'not a cursor!' }, 'cursor'],
        [{ cursor: Buffer.from('[1,2]').toString('base64url') }, 'cursor'],
        [{ createdAfter: 'yesterday' }, 'createdAfter'],
        [{ taskQueue: 'bad queue' }, 'taskQueue'],
        [{ workflowName: '' }, 'workflowName'],
        [{ search: { 'a\tb': 'x' } }, 'search'], // a field no job can hold (a space is one it can: search-field-rules.test.ts)
        [{ search: { a: 1 } }, 'search'],
        [{ colour: 'red' }, 'filter'],
      ];
      for (const [options, field] of bad) {
        const error = await mf.workflow.list(options as never).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error, JSON.stringify(options)).toBeInstanceOf(ValidationError);
        expect((error as ValidationError).field).toBe(field);
      }
      await expect(mf.workflow.counts({ status: 'nope' as never })).rejects.toBeInstanceOf(ValidationError);
      await expect(mf.workflow.counts('x' as never)).rejects.toBeInstanceOf(ValidationError);
      await expect((await mf.workflow.getHandle('read', 'x', 'ok-id')).history().then(() => 0)).rejects.toBeInstanceOf(JobNotFoundError);
      named.mockClear();
      query.mockClear();
      await expect(mf.workflow.list({ limit: -1 })).rejects.toBeInstanceOf(ValidationError);
      expect(named).not.toHaveBeenCalled();
      expect(query).not.toHaveBeenCalled();
    } finally {
      named.mockRestore();
      query.mockRestore();
    }
  });
});
