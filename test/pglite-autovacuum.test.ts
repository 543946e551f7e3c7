/**
 * The embedded database has no autovacuum (PGlite runs no background workers): the driver runs one
 * (src/storage/pglite/autovacuum.ts). Without it a queue's dead rows are never reclaimed: each
 * workflow's task row is inserted and deleted, and the tasks table grows with every workflow ever
 * run, and the statistics cached plans are made from are never refreshed. Runs in the pglite project
 * only: it is about the embedded driver.
 */
import { MemFlow, type MemFlowInstance } from 'hotmesh';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../src/engine/engine.js';
import { Autovacuum } from '../src/storage/pglite/autovacuum.js';
import type { PgliteDriver } from '../src/storage/pglite/pglite-driver.js';
import { schemaForApp } from '../src/storage/sql-identifier.js';
import { uniqueAppId } from './support/backend.js';

const acts = MemFlow.workflow.proxyActivities({
  activities: {
    async vacuumAddOne(x: number) {
      return x + 1;
    },
  },
});

export async function vacuumOneStep(x: number) {
  return acts.vacuumAddOne(x);
}

interface Entry {
  level: string;
  msg: string | undefined;
  obj: Record<string, any>;
}

describe('the embedded database vacuums and analyzes its own tables', () => {
  const entries: Entry[] = [];
  const at = (level: string) => (obj: object, msg?: string) => entries.push({ level, msg, obj: obj as Record<string, any> });
  let mf: MemFlowInstance;
  let appId: string;
  let schema: string;
  let engine: Engine;
  let driver: PgliteDriver;

  const run = async (n: number) => {
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < n) {
          const i = next++;
          expect(await (await mf.workflow.start({ taskQueue: 'vac', workflowName: 'vacuumOneStep', args: [i] })).result()).toBe(i + 1);
        }
      }),
    );
  };
  const tasks = async () => {
    // the session's counts reach pg_stat_user_tables at most once a second, at a transaction's end:
    // a run shorter than that read 0 dead rows (as the driver's own pass does, flush them first)
    await driver.query('SELECT pg_stat_force_next_flush()');
    const res = await driver.query<{ dead: string; vacuumed: boolean }>(
      `SELECT n_dead_tup::text AS dead, last_vacuum IS NOT NULL AS vacuumed FROM pg_stat_user_tables WHERE schemaname = $1 AND relname = 'tasks'`,
      [schema],
    );
    return { dead: Number(res.rows[0]!.dead), vacuumed: res.rows[0]!.vacuumed };
  };

  beforeAll(async () => {
    appId = uniqueAppId('vac');
    schema = schemaForApp(appId);
    mf = await MemFlow.init({
      appId,
      engine: { connection: { dataDir: 'memory://' } },
      logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') },
      logLevel: 'debug',
    });
    await mf.worker.create({ taskQueue: 'vac', workflow: vacuumOneStep });
    engine = await mf.client.engine(appId);
    driver = engine.driver as PgliteDriver;
    expect(driver.kind).toBe('pglite');
    // the driver looks by itself every 10 s; the passes here are called by the test instead, so a
    // look of its own cannot come in between (the timer itself: the last test)
    expect(driver.autovacuum.scheduled).toBe(true);
    await driver.autovacuum.stop();
  });
  afterAll(() => mf.shutdown());

  it('vacuums the queue once its dead task rows pass the threshold, and logs it', async () => {
    await run(1500);
    const before = await tasks();
    // each workflow left its task row dead (a page's pruning counts some off), and nothing vacuumed them
    expect(before.dead).toBeGreaterThan(100);
    expect(before.vacuumed).toBe(false);
    const done = await driver.autovacuum.pass();
    expect(done).toContainEqual({ schema, table: 'tasks', action: 'vacuum' });
    expect(await tasks()).toMatchObject({ dead: 0, vacuumed: true });
    const logged = entries.find((e) => e.level === 'debug' && e.obj.table === 'tasks' && e.obj.action === 'vacuum');
    expect(logged?.obj).toMatchObject({ appId, table: 'tasks', action: 'vacuum' });
  }, 60_000);

  it('analyzes a table that changed past its threshold, and leaves a quiet one alone', async () => {
    await driver.autovacuum.pass(); // everything due is done
    // PostgreSQL's thresholds: 3,000 jobs are analyzed again once 50 + 10% of them changed
    await run(600);
    const done = await driver.autovacuum.pass();
    // (the dead versions of finished jobs may be due too: vacuumed, which analyzes as well)
    expect(done.filter((d) => d.schema === schema).map((d) => d.table)).toEqual(expect.arrayContaining(['jobs', 'threads']));
    expect(done.map((d) => d.table)).not.toContain('signals'); // no signal was ever sent
    expect(await driver.autovacuum.pass()).toEqual([]); // nothing changed since
  }, 60_000);

  it('looks by itself, on its timer', async () => {
    await run(300);
    const events: string[] = [];
    const upkeep = new Autovacuum(
      { query: (sql) => driver.query(sql), exec: (sql) => driver.exec(sql) },
      (event) => events.push(`${event.schema}.${event.table} ${event.action}${event.error ? ' failed' : ''}`),
      50,
    );
    upkeep.start();
    try {
      const until = Date.now() + 10_000;
      while (!events.includes(`${schema}.tasks vacuum`) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    } finally {
      await upkeep.stop();
    }
    expect(events).toContain(`${schema}.tasks vacuum`);
    expect(events.filter((e) => e.endsWith('failed'))).toEqual([]);
  }, 30_000);
});
