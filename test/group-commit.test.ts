/**
 * Group commit on a real database (migration 0050, engine/group-commit.ts): concurrent starts and
 * finishes of one engine share statements, and that changes nothing a caller sees. A duplicate id in
 * a group fails only its own start; a group the database refuses for one item's data fails only that
 * item (the job fails with 598, the others complete); a group whose answer is lost after it committed
 * still ends every job once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../src/engine/engine.js';
import { MemFlow, type MemFlowInstance } from '../src/index.js';
import * as jobs from '../src/sql/queries/jobs.js';
import * as threads from '../src/sql/queries/threads.js';
import { testConnection, uniqueAppId } from './support/backend.js';

const runs = new Map<string, number>();

export async function echoOnce(tag: string): Promise<string> {
  runs.set(tag, (runs.get(tag) ?? 0) + 1);
  return `${tag}:done`;
}

type Named = Engine['driver']['named'];
/** Changes a statement's parameters, or what happens after it ran, while a test needs it. */
type Tamper = (sql: string, params: unknown[]) => { params?: unknown[]; afterwards?: () => never } | undefined;

describe('group commit', () => {
  let mf: MemFlowInstance;
  let engine: Engine;
  let original: Named;
  let tamper: Tamper | undefined;
  const sentBy = new Map<string, number>();

  beforeAll(async () => {
    mf = await MemFlow.init({ appId: uniqueAppId('group'), engine: { connection: testConnection() }, worker: { leaseSeconds: 2 } });
    engine = await mf.client.engine(mf.appId);
    original = engine.driver.named.bind(engine.driver);
    engine.driver.named = (async (name: string, sql: string, params: unknown[]) => {
      sentBy.set(sql, (sentBy.get(sql) ?? 0) + 1);
      const t = tamper?.(sql, params);
      const res = await original(name, sql, t?.params ?? params);
      t?.afterwards?.();
      return res;
    }) as Named;
    await mf.worker.create({ taskQueue: 'group', workflow: echoOnce });
  });
  afterAll(async () => {
    tamper = undefined;
    engine.driver.named = original;
    await mf.shutdown();
  });

  /** The first statement with text `sql` commits, then its answer is lost (as a dropped connection loses it). */
  const loseAnswerOnce = (sql: string) => {
    const lost = { count: 0 };
    tamper = (text) =>
      text === sql && lost.count === 0
        ? {
            afterwards: () => {
              lost.count++;
              throw new Error('Connection terminated unexpectedly');
            },
          }
        : undefined;
    return lost;
  };
  const sent = (query: Parameters<Engine['bind']>[0]) => sentBy.get(engine.bind(query).text) ?? 0;
  const start = (workflowId: string) => mf.workflow.start({ taskQueue: 'group', workflowName: 'echoOnce', workflowId, args: [workflowId] });

  it('concurrent starts and finishes go in fewer statements than workflows, and every result is right', async () => {
    const before = { startJobs: sent(jobs.startJobs), finishThreads: sent(threads.finishThreads), starts: { ...engine.groupStats(jobs.startJob) } };
    const ids = Array.from({ length: 48 }, (_, i) => `many-${Date.now()}-${i}`);
    const results = await Promise.all(ids.map(async (id) => (await start(id)).result()));
    expect(results).toEqual(ids.map((id) => `${id}:done`));
    for (const id of ids) expect(runs.get(id)).toBe(1);
    // the grouped statements ran: 48 starts fired at once cannot all go alone behind one lane
    expect(sent(jobs.startJobs) - before.startJobs).toBeGreaterThan(0);
    expect(sent(threads.finishThreads) - before.finishThreads).toBeGreaterThan(0);
    const after = engine.groupStats(jobs.startJob)!;
    expect(after.items - (before.starts.items ?? 0)).toBe(48);
    expect(after.statements - (before.starts.statements ?? 0)).toBeLessThan(48);
  });

  it('a duplicate id in a group fails only its own start, with DuplicateJobError', async () => {
    const base = `dup-${Date.now()}`;
    await (await start(`${base}-taken`)).result();
    const groupsBefore = sent(jobs.startJobs);
    // one alone, the rest queued behind it: one group holding both duplicates
    const ids = [`${base}-0`, `${base}-1`, `${base}-taken`, `${base}-2`, `${base}-2`, `${base}-3`];
    const settled = await Promise.allSettled(ids.map((id) => start(id)));
    expect(sent(jobs.startJobs) - groupsBefore).toBeGreaterThan(0);
    const failed = settled.map((s) => (s.status === 'rejected' ? (s.reason as Error).name : 'started'));
    expect(failed.filter((f) => f === 'DuplicateJobError')).toHaveLength(2);
    expect(failed[2]).toBe('DuplicateJobError'); // the id a finished job holds
    expect([failed[3], failed[4]].sort()).toEqual(['DuplicateJobError', 'started']);
    for (const s of settled) if (s.status === 'fulfilled') await expect(s.value.result()).resolves.toBe(`${s.value.workflowId}:done`);
    expect(runs.get(`${base}-2`)).toBe(1);
  });

  it('a group the database refuses for one item fails only that job (598), the others complete', async () => {
    const base = `refused-${Date.now()}`;
    const bad = `${base}-3`;
    const one = engine.bind(threads.finishThread).text;
    const many = engine.bind(threads.finishThreads).text;
    const outputAt = threads.finishThread.params.indexOf('output');
    const jobAt = threads.finishThread.params.indexOf('jobId');
    const statusAt = threads.finishThread.params.indexOf('status');
    let groupsRefused = 0;
    // the bad job's result is one PostgreSQL refuses (a jsonb \u0000 escape: 22P05), alone or grouped
    tamper = (sql, params) => {
      if (sql === one && params[jobAt] === bad && params[statusAt] === 'completed') return { params: params.map((p, i) => (i === outputAt ? '"\\u0000"' : p)) };
      if (sql !== many) return undefined;
      const items = JSON.parse(params[0] as string) as Array<{ jobId: string; status: string; output: string | null }>;
      const hit = items.find((it) => it.jobId === bad && it.status === 'completed');
      if (!hit) return undefined;
      groupsRefused++;
      hit.output = '"\\u0000"';
      return { params: [JSON.stringify(items)] };
    };
    try {
      const ids = Array.from({ length: 24 }, (_, i) => `${base}-${i}`);
      const outcomes = await Promise.all(
        ids.map(async (id) =>
          (await start(id)).result().then(
            (value) => value,
            (err: { code?: number; message?: string }) => `failed ${err.code}: ${err.message}`,
          ),
        ),
      );
      for (const [i, id] of ids.entries()) {
        if (id === bad) expect(outcomes[i]).toMatch(/^failed 598: .*finishThread.*22P05/s);
        else expect(outcomes[i]).toBe(`${id}:done`);
        expect(runs.get(id)).toBe(1);
      }
      // the refusal met a group (not only the bad job's own statement): the others were sent again alone
      expect(groupsRefused).toBeGreaterThan(0);
    } finally {
      tamper = undefined;
    }
  });

  it('a start group whose answer is lost after it committed: each caller gets that error, and each job runs once', async () => {
    const base = `lost-start-${Date.now()}`;
    const many = engine.bind(jobs.startJobs).text;
    const lost = loseAnswerOnce(many);
    try {
      const ids = Array.from({ length: 12 }, (_, i) => `${base}-${i}`);
      const settled = await Promise.allSettled(ids.map((id) => start(id)));
      expect(lost.count).toBe(1);
      const errors = settled.filter((s) => s.status === 'rejected').map((s) => (s as PromiseRejectedResult).reason as Error);
      // the callers of the lost group: the error of their own statement, never a DuplicateJobError
      // (sending the group's items again would have found their own jobs)
      expect(errors.length).toBeGreaterThan(0);
      for (const e of errors) expect(e.message).toBe('Connection terminated unexpectedly');
      // every job committed; the held ones are given back and run, once each
      for (const id of ids) await expect((await mf.workflow.getHandle('group', 'echoOnce', id)).result()).resolves.toBe(`${id}:done`);
      for (const id of ids) expect(runs.get(id)).toBe(1);
    } finally {
      tamper = undefined;
    }
  });

  it('a group whose answer is lost after it committed still ends each job once, and result() hears it', async () => {
    const base = `lost-${Date.now()}`;
    const many = engine.bind(threads.finishThreads).text;
    const lost = loseAnswerOnce(many);
    try {
      const ids = Array.from({ length: 24 }, (_, i) => `${base}-${i}`);
      const t0 = performance.now();
      const results = await Promise.all(ids.map(async (id) => (await start(id)).result()));
      expect(results).toEqual(ids.map((id) => `${id}:done`));
      expect(lost.count).toBe(1);
      for (const id of ids) expect(runs.get(id)).toBe(1);
      // the finishing engine reads the rows of a lost finish at once, not at result()'s next poll
      expect(performance.now() - t0).toBeLessThan(1_500);
    } finally {
      tamper = undefined;
    }
  });
});
