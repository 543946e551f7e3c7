/**
 * Shutdown with work in flight. Before the fix:
 *  - the grace was a fixed 5 s, however short a grace the application wanted;
 *  - a run that did not finish within the grace kept its lease, so the next worker (a restarted
 *    fleet) waited out the whole lease (30 s by default) before running it;
 *  - activity code still running when shutdown() returned went on to write its result through the
 *    closed pool.
 * Now the grace is an option (`worker.shutdownGraceMs`, `shutdown({ graceMs })`), the tasks of runs
 * still going when it ends are given back (runnable at once), and a late result is dropped without a
 * statement.
 *
 * Instance A runs the work and shuts down mid-activity; instance B, opened afterwards on the same
 * database with its own driver (as a restarted process would), must finish it well within a lease.
 * On PGlite, A and B use one data directory in turn (the directory admits one opener).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../src/engine/engine.js';
import { MemFlow, type MemFlowInstance } from '../src/index.js';
import { backend, POSTGRES_URL, uniqueAppId } from './support/backend.js';
import { interceptNamed } from './support/intercept-named.js';

/** Longer than the old fixed grace (5 s), so that A's run is still going when shutdown() gives up. */
const ACTIVITY_MS = 6_000;
/** B's own run of the step (6 s), with room for a loaded machine; under the 30 s default lease: the task was given back. */
const PICKED_UP_WITHIN_MS = 22_000;

interface Execution {
  instance: string;
  key: string;
  ev: 'start' | 'end';
}
const executions: Execution[] = [];
let instance = 'A';

async function slowStep(tag: string): Promise<string> {
  const me = instance;
  const key = MemFlow.activity.getContext().idempotencyKey;
  executions.push({ instance: me, key, ev: 'start' });
  await new Promise((r) => setTimeout(r, ACTIVITY_MS));
  executions.push({ instance: me, key, ev: 'end' });
  return `${tag}:${me}`;
}

const inline = MemFlow.workflow.proxyActivities({ activities: { slowStep } });
const remoteActs = { slowRemoteStep: slowStep };
const remote = MemFlow.workflow.proxyActivities<typeof remoteActs>({ taskQueue: 'shutdown-remote' });

export async function inlineWork(tag: string): Promise<string> {
  return inline.slowStep(tag);
}

export async function remoteWork(tag: string): Promise<string> {
  return remote.slowRemoteStep(tag);
}

export async function quickWork(tag: string): Promise<string> {
  return `${tag}:${instance}`;
}

describe('shutdown with a run in flight', () => {
  const appId = uniqueAppId('shutdown');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hotmesh-shutdown-'));
  /** A's and B's connections: separate drivers on one database (a property that only changes the pool key on pg). */
  const connection = (who: string) =>
    backend === 'postgres' ? { connectionString: POSTGRES_URL, application_name: `hotmesh-${who}` } : { dataDir: path.join(dataDir, 'db') };

  async function open(who: string, shutdownGraceMs?: number): Promise<MemFlowInstance> {
    instance = who;
    const mf = await MemFlow.init({ appId, engine: { connection: connection(who) }, worker: { shutdownGraceMs } });
    await mf.worker.create({ taskQueue: 'shutdown', workflow: inlineWork });
    await mf.worker.create({ taskQueue: 'shutdown', workflow: remoteWork });
    await mf.worker.create({ taskQueue: 'shutdown', workflow: quickWork });
    await mf.worker.registerActivityWorker({}, remoteActs, 'shutdown-remote');
    return mf;
  }

  /** Record every statement A's driver is asked to run once A has shut down. */
  function watchAfterShutdown(engine: Engine): { after: string[]; closed(): void } {
    const after: string[] = [];
    let closed = false;
    interceptNamed(engine, (send, name, sql, params, options) => {
      if (closed) after.push(sql.trim().slice(0, 60));
      return send(name, sql, params, options);
    });
    return { after, closed: () => (closed = true) };
  }

  const unhandled: unknown[] = [];
  const onUnhandled = (err: unknown) => unhandled.push(err);
  beforeAll(() => {
    process.on('unhandledRejection', onUnhandled);
  });
  afterAll(() => {
    process.off('unhandledRejection', onUnhandled);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  async function scenario(workflowName: string, shutdown: (a: MemFlowInstance) => Promise<void>, graceMs: number) {
    const tag = `${workflowName}-${Date.now()}`;
    const a = await open('A', workflowName === 'inlineWork' ? graceMs : undefined);
    const watch = watchAfterShutdown(await a.client.engine(appId));
    await a.workflow.start({ taskQueue: 'shutdown', workflowName, workflowId: tag, args: [tag] });
    const until = Date.now() + 10_000;
    while (!executions.some((e) => e.instance === 'A' && e.ev === 'start' && e.key.includes(tag))) {
      if (Date.now() > until) throw new Error('A never started the activity');
      await new Promise((r) => setTimeout(r, 10));
    }

    const stopping = Date.now();
    await shutdown(a);
    const shutdownMs = Date.now() - stopping;
    watch.closed();

    const b = await open('B');
    const started = Date.now();
    try {
      const handle = await b.workflow.getHandle('shutdown', workflowName, tag);
      let timer: NodeJS.Timeout | undefined;
      const result = await Promise.race([
        handle.result(),
        new Promise((resolve) => (timer = setTimeout(() => resolve(`B: no result within ${PICKED_UP_WITHIN_MS} ms (task left leased?)`), PICKED_UP_WITHIN_MS))),
      ]);
      clearTimeout(timer);
      const pickedUpMs = Date.now() - started;
      console.log(`shutdown: ${workflowName} shutdown ${shutdownMs} ms, B finished the step ${pickedUpMs} ms after opening`);
      // A's activity ends (it started before B's): its late result must go nowhere
      while (!executions.some((e) => e.instance === 'A' && e.ev === 'end' && e.key.includes(tag))) {
        await new Promise((r) => setTimeout(r, 50));
      }
      await new Promise((r) => setTimeout(r, 300));
      return { tag, shutdownMs, pickedUpMs, result, after: watch.after };
    } finally {
      await b.shutdown();
    }
  }

  it('an inline activity run: the grace from worker.shutdownGraceMs, the task given back, the late result dropped', { timeout: 60_000 }, async () => {
    const graceMs = 300;
    const { tag, shutdownMs, result, after } = await scenario('inlineWork', (a) => a.shutdown(), graceMs);
    expect.soft(shutdownMs, 'shutdown() took (ms)').toBeLessThan(4_000); // not a fixed 5 s (grace + about 0.2 s when quiet)
    expect.soft(result).toBe(`${tag}:B`); // B ran the step again (A's result never committed) and finished
    const mine = executions.filter((e) => e.key.includes(tag));
    expect.soft(mine.filter((e) => e.ev === 'start').map((e) => e.instance)).toEqual(['A', 'B']);
    expect(mine.filter((e) => e.ev === 'end').map((e) => e.instance).sort()).toEqual(['A', 'B']);
    expect.soft(after, 'statements A ran after its shutdown returned').toEqual([]);
    expect(unhandled).toEqual([]);
  });

  // Fix: a job started in this process is created held by its worker, and run on the next turn. Shut
  // down in between, the worker gave the task back without waiting, through a pool already closed:
  // about every other time, the task stayed leased for a whole lease (30 s) and B waited it out.
  it('a job started just before shutdown: its held task is run or given back before shutdown returns', { timeout: 90_000 }, async () => {
    for (let round = 0; round < 6; round++) {
      const tag = `quick-${round}-${Date.now()}`;
      const a = await open('A');
      const watch = watchAfterShutdown(await a.client.engine(appId));
      await a.workflow.start({ taskQueue: 'shutdown', workflowName: 'quickWork', workflowId: tag, args: [tag] });
      // every other round with no grace at all: the give-back is still waited for (within its own limit)
      await (round % 2 === 1 ? a.shutdown({ graceMs: 0 }) : a.shutdown());
      watch.closed();
      const b = await open('B');
      try {
        const handle = await b.workflow.getHandle('shutdown', 'quickWork', tag);
        let timer: NodeJS.Timeout | undefined;
        const result = await Promise.race([
          handle.result(),
          new Promise((resolve) => (timer = setTimeout(() => resolve(`no result within ${PICKED_UP_WITHIN_MS} ms (task left leased?)`), PICKED_UP_WITHIN_MS))),
        ]);
        clearTimeout(timer);
        // A ran it within its grace, or gave it back and B ran it
        expect([`${tag}:A`, `${tag}:B`], `round ${round}`).toContain(result);
        await new Promise((r) => setTimeout(r, 50));
        expect(watch.after, `round ${round}: statements A ran after its shutdown returned`).toEqual([]);
      } finally {
        await b.shutdown();
      }
    }
    expect(unhandled).toEqual([]);
  });

  it('a remote activity task: the grace from shutdown({ graceMs }), the task given back, the late result dropped', { timeout: 60_000 }, async () => {
    const graceMs = 200;
    const { tag, shutdownMs, result, after } = await scenario('remoteWork', (a) => a.shutdown({ graceMs }), graceMs);
    expect.soft(shutdownMs, 'shutdown() took (ms)').toBeLessThan(4_000);
    expect.soft(result).toBe(`${tag}:B`);
    const mine = executions.filter((e) => e.key.includes(tag));
    expect.soft(mine.filter((e) => e.ev === 'start').map((e) => e.instance)).toEqual(['A', 'B']);
    expect.soft(after, 'statements A ran after its shutdown returned').toEqual([]);
    expect(unhandled).toEqual([]);
  });
});
