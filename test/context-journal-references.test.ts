/**
 * Context ops journal a version reference, not the document (issue 7, fault 8; migration 0028).
 * Before: 40 merges of 20 KB wrote 16.4 MB of journal for a 0.8 MB context, and every claim of the
 * thread read it all again. Each workflow here records, right before it waits, what every context op
 * returned to it (as JSON text: key order counts); a wake replays the thread from its journal, so the
 * second record is what replay handed back, and it must be the same text.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MemFlow, type MemFlowInstance } from 'hotmesh';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backend, testConnection, uniqueAppId } from './support/backend.js';
import { type AppDatabase, untilWaiting } from './support/job-state.js';

/** label → what the thread's context ops returned, once per run that got there. */
const seen = new Map<string, string[][]>();
function record(label: string, results: unknown[]): void {
  const runs = seen.get(label) ?? [];
  runs.push(results.map((r) => JSON.stringify(r)));
  seen.set(label, runs);
}

const chunk = () => randomBytes(15 * 1024).toString('base64'); // 20 KB that does not compress

export async function merger(n: number) {
  const { workflowId } = MemFlow.workflow.getContext();
  const ctx = await MemFlow.workflow.context();
  const results: unknown[] = [];
  for (let i = 0; i < n; i++) results.push(await ctx.merge({ [`k${i}`]: bigValue(i) }));
  record(`${workflowId}:merges`, results);
  await MemFlow.workflow.waitFor('go');
  return Object.keys(results.at(-1) as object).length;
}

/** A 20 KB value per index, the same on every run of the workflow (module state set by the test). */
const bigValues: string[] = [];
function bigValue(i: number): string {
  return bigValues[i]!;
}

export async function interleaved() {
  const { workflowId } = MemFlow.workflow.getContext();
  const ctx = await MemFlow.workflow.context();
  const results: unknown[] = [];
  results.push(await ctx.set({ doc: { z: bigValue(0), a: 1 }, list: [] }));
  results.push(await ctx.append('list', bigValue(1)));
  record(`${workflowId}:1`, results);
  await MemFlow.workflow.waitFor('step'); // the test changes the context from outside meanwhile
  results.push(await ctx.merge({ doc: { m: bigValue(2), b: { c: true } } }));
  results.push(await MemFlow.workflow.execHook({ taskQueue: 'ctxref', workflowName: 'hookMerger', args: [], signalId: 'hooked' }));
  results.push(await ctx.get());
  results.push(await ctx.get('doc'));
  results.push(await ctx.increment('n', 0.1));
  results.push(await ctx.delete('doc.z'));
  results.push(await ctx.prepend('list', { at: 'front' }));
  record(`${workflowId}:2`, results);
  await MemFlow.workflow.waitFor('end');
  record(`${workflowId}:3`, results);
  return 'done';
}

export async function hookMerger() {
  const { workflowId } = MemFlow.workflow.getContext();
  const ctx = await MemFlow.workflow.context();
  const results: unknown[] = [await ctx.merge({ hook: { big: bigValue(3) } })];
  record(`${workflowId}:hook`, results);
  await MemFlow.workflow.sleepFor('50 milliseconds'); // a wake: the hook thread replays too
  results.push(await ctx.merge({ hook: { done: true } }));
  await MemFlow.workflow.signal('hooked', { ok: true });
}

function expectReplayedTheSame(label: string): void {
  const runs = seen.get(label) ?? [];
  expect(runs.length, `${label}: a first run and at least one replay`).toBeGreaterThanOrEqual(2);
  for (const run of runs.slice(1)) expect(run).toEqual(runs[0]);
}

async function bytes(db: AppDatabase, sql: string, jobId: string): Promise<number> {
  const res = await db.driver.query<{ bytes: string | null }>(sql, [jobId]);
  return Number(res.rows[0]?.bytes ?? 0);
}

describe(`context ops journal version references (${backend})`, () => {
  let mf: MemFlowInstance;
  let db: AppDatabase;
  let dataDir: string | undefined;
  const appId = uniqueAppId('ctxref');

  beforeAll(async () => {
    for (let i = 0; i < 40; i++) bigValues.push(chunk());
    // a data directory of its own on pglite: the second runtime below opens the same database
    dataDir = backend === 'pglite' ? fs.mkdtempSync(path.join(os.tmpdir(), 'ctxref-')) : undefined;
    mf = await MemFlow.init({ appId, engine: { connection: connection() }, logLevel: 'error' });
    for (const workflow of [merger, interleaved, hookMerger]) await mf.worker.create({ taskQueue: 'ctxref', workflow });
    const engine = await mf.client.engine(appId);
    db = { sqlSchema: engine.sqlSchema, driver: engine.driver };
  });
  afterAll(async () => {
    await mf?.shutdown();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  function connection() {
    return dataDir ? { dataDir } : testConnection();
  }

  it('40 merges of 20 KB journal a few KB, and a wake reads about as many bytes as the context holds', async () => {
    const handle = await mf.workflow.start({ taskQueue: 'ctxref', workflowName: 'merger', args: [40] });
    await untilWaiting(db, handle.workflowId, 'go');
    const s = db.sqlSchema;
    const journalBytes = await bytes(db, `SELECT sum(pg_column_size(j.*))::text AS bytes FROM ${s}.journal j WHERE job_id = $1`, handle.workflowId);
    const contextBytes = await bytes(db, `SELECT octet_length(context::text)::text AS bytes FROM ${s}.jobs WHERE id = $1`, handle.workflowId);
    // what a claim reads to replay the thread: its journal, and what the references need
    const replayBytes = await bytes(
      db,
      `SELECT sum(octet_length(coalesce(r.arg::text, '')))::text AS bytes
         FROM ${s}.context_thread_replay($1, 'main', (SELECT array_agg(seq) FROM ${s}.journal WHERE job_id = $1)) r`,
      handle.workflowId,
    );
    expect(contextBytes).toBeGreaterThan(800_000);
    expect(journalBytes).toBeLessThan(100_000); // was 16.4 MB
    expect(replayBytes).toBeLessThan(contextBytes * 1.1);

    await handle.signal('go', {});
    expect(await handle.result()).toBe(40);
    expectReplayedTheSame(`${handle.workflowId}:merges`);
  });

  it('replay hands back exactly what each op returned, with hooks and outside ops in between', async () => {
    const handle = await mf.workflow.start({ taskQueue: 'ctxref', workflowName: 'interleaved' });
    await untilWaiting(db, handle.workflowId, 'step');
    const memory = handle.context();
    for (let i = 0; i < 40; i++) await memory.increment('n', 0.1); // past a checkpoint's distance
    await memory.merge({ doc: { outside: bigValue(4) } });
    await handle.signal('step', {});
    await untilWaiting(db, handle.workflowId, 'end');
    await handle.signal('end', {});
    expect(await handle.result()).toBe('done');
    for (const label of ['1', '2']) expectReplayedTheSame(`${handle.workflowId}:${label}`);
    expect(seen.get(`${handle.workflowId}:3`)![0]).toEqual(seen.get(`${handle.workflowId}:2`)![0]);
    expectReplayedTheSame(`${handle.workflowId}:hook`);
    // an increment's exact decimal sum came back on replay (a JavaScript sum of 0.1s would not be 4.1)
    const second = seen.get(`${handle.workflowId}:2`)![0]!;
    expect(second[6]).toBe('4.1');
    // the references were really used: rows with a version and no value
    const refs = await db.driver.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM ${db.sqlSchema}.journal WHERE job_id = $1 AND context_version IS NOT NULL AND result IS NULL`,
      [handle.workflowId],
    );
    expect(Number(refs.rows[0]!.n)).toBeGreaterThanOrEqual(6);
  });

  it('another worker replays the thread (no state left in the first one)', async () => {
    const handle = await mf.workflow.start({ taskQueue: 'ctxref', workflowName: 'merger', args: [5] });
    await untilWaiting(db, handle.workflowId, 'go');
    await mf.shutdown();
    mf = await MemFlow.init({ appId, engine: { connection: connection() }, logLevel: 'error' });
    for (const workflow of [merger, interleaved, hookMerger]) await mf.worker.create({ taskQueue: 'ctxref', workflow });
    const engine = await mf.client.engine(appId);
    db = { sqlSchema: engine.sqlSchema, driver: engine.driver };
    const again = await mf.workflow.getHandle('ctxref', 'merger', handle.workflowId);
    await again.signal('go', {});
    expect(await again.result()).toBe(5);
    expectReplayedTheSame(`${handle.workflowId}:merges`);
  });

  it('reads rows journaled in the old format (whole documents), mixed with references', async () => {
    const handle = await mf.workflow.start({ taskQueue: 'ctxref', workflowName: 'merger', args: [6] });
    await untilWaiting(db, handle.workflowId, 'go');
    const s = db.sqlSchema;
    // every other reference back to what migrations before 0028 wrote: the value itself
    const converted = await db.driver.query(
      `UPDATE ${s}.journal SET result = ${s}.context_get_path(${s}.context_at(job_id, context_version), context_path),
              context_version = NULL, context_path = NULL
        WHERE job_id = $1 AND context_version IS NOT NULL AND seq % 2 = 0 RETURNING seq`,
      [handle.workflowId],
    );
    expect(converted.rows.length).toBeGreaterThanOrEqual(2);
    await handle.signal('go', {});
    expect(await handle.result()).toBe(6);
    expectReplayedTheSame(`${handle.workflowId}:merges`);
  });

  it('replays increments logged before 0028 (no result kept) exactly', async () => {
    const handle = await mf.workflow.start({ taskQueue: 'ctxref', workflowName: 'interleaved' });
    await untilWaiting(db, handle.workflowId, 'step');
    const memory = handle.context();
    for (let i = 0; i < 3; i++) await memory.increment('n', 0.1);
    await handle.signal('step', {});
    await untilWaiting(db, handle.workflowId, 'end');
    const s = db.sqlSchema;
    await db.driver.query(`UPDATE ${s}.context_log SET result = NULL WHERE job_id = $1 AND op = 'increment' AND op_id IS NULL`, [handle.workflowId]);
    await db.driver.query(`DELETE FROM ${s}.context_checkpoints WHERE job_id = $1`, [handle.workflowId]);
    await handle.signal('end', {});
    expect(await handle.result()).toBe('done');
    expectReplayedTheSame(`${handle.workflowId}:2`);
    expect(seen.get(`${handle.workflowId}:3`)![0]).toEqual(seen.get(`${handle.workflowId}:2`)![0]);
    expect(seen.get(`${handle.workflowId}:2`)![0]![6]).toBe('0.4');
  });

  it('a claim whose log misses a version it needs fails loudly (HM004), not with a wrong value', async () => {
    const handle = await mf.workflow.start({ taskQueue: 'ctxref', workflowName: 'merger', args: [3] });
    await untilWaiting(db, handle.workflowId, 'go');
    const s = db.sqlSchema;
    await db.driver.query(`DELETE FROM ${s}.context_log WHERE job_id = $1 AND version = 2`, [handle.workflowId]);
    const err = await db.driver
      .query(`SELECT * FROM ${s}.context_thread_replay($1, 'main', ARRAY[0,1,2,3,4,5])`, [handle.workflowId])
      .catch((e) => e);
    expect(err.code).toBe('HM004');
  });
});
