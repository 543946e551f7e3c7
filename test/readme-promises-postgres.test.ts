/**
 * README promises that only PostgreSQL can keep or show (this file runs in the postgres project only):
 *
 * - "Nothing accepted is lost ... a PostgreSQL restart": against a temporary cluster this file creates
 *   (pg_createcluster) and restarts in immediate mode (a crash: no shutdown checkpoint) while one
 *   workflow sleeps and another is inside an activity; both complete, and a start and a signal made
 *   after the restart work;
 * - "A sleeping or waiting workflow holds no connection, no lock": pg_stat_activity shows none of the
 *   engine's sessions inside a transaction or holding a lock, and the task has no lease;
 * - `{ tx }`: context ops from outside run inside the caller's transaction, rolled back or committed
 *   with the caller's own rows;
 * - the connection forms: a `postgres://` string, `{ connectionString }`, `{ pool }` and a bare
 *   `pg.Pool`, which the engine never closes.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemFlow, type MemFlowInstance } from '../src/index.js';
import type { Engine } from '../src/engine/engine.js';
import { eventually, POSTGRES_URL, uniqueAppId } from './support/backend.js';
import { untilJournaled, untilWaiting } from './support/job-state.js';

// ---------- workflows ----------

/** Executions of `step`, by argument. */
const executions = new Map<string, number>();
/** Activities that wait for the test before they return, by argument. */
const gates = new Map<string, { entered: () => void; open: Promise<void> }>();

const acts = MemFlow.workflow.proxyActivities({
  activities: {
    async step(arg: string) {
      executions.set(arg, (executions.get(arg) ?? 0) + 1);
      const gate = gates.get(arg);
      if (gate) {
        gate.entered();
        await gate.open;
      }
      return `${arg}:done`;
    },
  },
  retryPolicy: { maximumAttempts: 3, backoffCoefficient: 1, maximumInterval: '1s' },
});

export async function sleeper(tag: string, seconds = 3) {
  const before = await acts.step(`${tag}-before`);
  await MemFlow.workflow.sleepFor(`${seconds} seconds`);
  const after = await acts.step(`${tag}-after`);
  return [before, after];
}

export async function worker(tag: string) {
  const one = await acts.step(`${tag}-one`);
  const held = await acts.step(`${tag}-held`);
  return [one, held];
}

export async function approval() {
  return MemFlow.workflow.waitFor<{ ok: boolean }>('approve');
}

export async function hello(name: string) {
  return `Hello, ${name}!`;
}

/** A gate for `step(arg)`: resolves `entered` once the activity runs, and holds it until `open()`. */
function gate(arg: string): { entered: Promise<void>; open: () => void } {
  let entered!: () => void;
  let open!: () => void;
  const enteredP = new Promise<void>((r) => (entered = r));
  const openP = new Promise<void>((r) => (open = r));
  gates.set(arg, { entered, open: openP });
  return { entered: enteredP, open };
}

// ---------- a temporary cluster ----------

const PG_MAJOR = '15';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * A PostgreSQL cluster of this test's own, made and run by Debian's tools (which run the server as
 * user postgres: PostgreSQL refuses to run as root). `drop()` stops and removes it.
 */
class TemporaryCluster {
  readonly name = `hmrestart${randomBytes(4).toString('hex')}`;
  port = 0;
  private created = false;

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  async create(): Promise<void> {
    this.port = await freePort();
    this.created = true;
    execFileSync('pg_createcluster', [PG_MAJOR, this.name, '--port', String(this.port), '--', '--auth=trust'], { stdio: 'pipe' });
    this.ctl('start');
    await this.untilAccepting();
  }

  ctl(...args: string[]): void {
    execFileSync('pg_ctlcluster', ['--skip-systemctl-redirect', PG_MAJOR, this.name, ...args], { stdio: 'pipe' });
  }

  async untilAccepting(): Promise<void> {
    await eventually(async () => {
      const db = new pg.Client({ connectionString: this.url });
      try {
        await db.connect();
        await db.query('SELECT 1');
        return true;
      } catch {
        return false;
      } finally {
        await db.end().catch(() => {});
      }
    }, 30_000, 100);
  }

  drop(): void {
    if (this.created) execFileSync('pg_dropcluster', ['--stop', PG_MAJOR, this.name], { stdio: 'pipe' });
    this.created = false;
  }
}

describe('README promises: a PostgreSQL restart loses nothing', () => {
  const cluster = new TemporaryCluster();
  let mf: MemFlowInstance | undefined;
  beforeAll(async () => {
    await cluster.create();
  }, 60_000);
  afterAll(async () => {
    try {
      await mf?.shutdown();
    } finally {
      cluster.drop();
    }
  }, 60_000);

  it('a workflow mid-sleep and one mid-activity survive an immediate-mode restart; start and signal work after it', async () => {
    mf = await MemFlow.init({ appId: 'restart-app', engine: { connection: { class: pg.Client, options: { connectionString: cluster.url } } } });
    for (const workflow of [sleeper, worker, approval]) {
      await mf.worker.create({ taskQueue: 'restart', workflow, options: { leaseSeconds: 2 } });
    }
    const engine = await mf.client.engine('restart-app');
    const held = gate('w-held');

    const sleeping = await mf.workflow.start({ taskQueue: 'restart', workflowName: 'sleeper', args: ['s'] });
    const working = await mf.workflow.start({ taskQueue: 'restart', workflowName: 'worker', args: ['w'] });
    await untilJournaled(engine, sleeping.workflowId, (r) => r.kind === 'sleep');
    await held.entered; // `w-held` runs: its result is not journaled yet

    cluster.ctl('restart', '-m', 'immediate');
    await cluster.untilAccepting();
    held.open(); // the activity returns into a pool whose connections the restart killed

    expect(await sleeping.result()).toEqual(['s-before:done', 's-after:done']);
    expect(await working.result()).toEqual(['w-one:done', 'w-held:done']);
    // committed before the restart: never run again; the one in flight: at least once more, at most twice
    expect(executions.get('s-before')).toBe(1);
    expect(executions.get('w-one')).toBe(1);
    expect(executions.get('s-after')).toBe(1);
    expect(executions.get('w-held')).toBeGreaterThanOrEqual(1);
    expect(executions.get('w-held')).toBeLessThanOrEqual(2);

    // after the restart: a start and a signal are accepted and acted on
    const waiting = await mf.workflow.start({ taskQueue: 'restart', workflowName: 'approval', args: [] });
    await untilWaiting(engine, waiting.workflowId, 'approve');
    await waiting.signal('approve', { ok: true });
    expect(await waiting.result()).toEqual({ ok: true });
  }, 120_000);
});

describe('README promises: PostgreSQL sessions, transactions and connection forms', () => {
  const appId = uniqueAppId('promises-pg');
  const applicationName = `hm-idle-${randomBytes(4).toString('hex')}`;
  let mf: MemFlowInstance;
  let engine: Engine;
  let db: pg.Client;
  beforeAll(async () => {
    // Our own application_name: other test runs share the database, and their sessions are not ours.
    mf = await MemFlow.init({ appId, engine: { connection: { class: pg.Client, options: { connectionString: POSTGRES_URL, application_name: applicationName } } } });
    for (const workflow of [sleeper, approval, hello]) await mf.worker.create({ taskQueue: 'pg', workflow });
    engine = await mf.client.engine(appId);
    db = new pg.Client({ connectionString: POSTGRES_URL });
    await db.connect();
  });
  afterAll(async () => {
    await db.end();
    await mf.shutdown();
  });

  it('a sleeping and a waiting workflow hold no connection, no lock and no lease', async () => {
    // a long sleep: a 3 s one could come due (and be leased again) before a loaded machine read its lease
    const sleeping = await mf.workflow.start({ taskQueue: 'pg', workflowName: 'sleeper', args: ['idle', 600] });
    const waiting = await mf.workflow.start({ taskQueue: 'pg', workflowName: 'approval', args: [] });
    const leaseOf = async (jobId: string) =>
      (await db.query(`SELECT lease_owner FROM ${engine.sqlSchema}.tasks WHERE job_id = $1`, [jobId])).rows;
    // each read once it suspends: the call is journaled at its registration, and the statement that
    // suspends the run (and gives the task back) may follow it (failed once beside other files, 343 ms)
    const released = async (jobId: string) => {
      await eventually(async () => (await leaseOf(jobId))[0]?.lease_owner === null);
      expect(await leaseOf(jobId)).toEqual([{ lease_owner: null }]);
    };
    await untilJournaled(engine, sleeping.workflowId, (r) => r.kind === 'sleep');
    await released(sleeping.workflowId);
    await untilWaiting(engine, waiting.workflowId, 'approve');
    await released(waiting.workflowId);

    // The engine's sessions: the pool's idle ones and the LISTEN one. None is in a transaction, and
    // (once no poll happens to be running) none is busy or holds a lock.
    const sessions = () =>
      db.query<{ state: string; locks: number }>(
        `SELECT a.state, (SELECT count(*)::int FROM pg_locks l WHERE l.pid = a.pid) AS locks
           FROM pg_stat_activity a WHERE a.application_name = $1`,
        [applicationName],
      );
    const seen = new Set<string>();
    await eventually(async () => {
      const rows = (await sessions()).rows;
      for (const r of rows) seen.add(r.state);
      return rows.length > 0 && rows.every((r) => r.state === 'idle' && r.locks === 0);
    });
    for (let i = 0; i < 10; i++) {
      for (const r of (await sessions()).rows) seen.add(r.state);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect([...seen].filter((s) => s.startsWith('idle in transaction'))).toEqual([]);

    await waiting.signal('approve', { ok: true });
    expect(await waiting.result()).toEqual({ ok: true });
    await sleeping.terminate(); // its wake-up is the restart test's and the timer tests' to show
  }, 30_000);

  it('{ tx }: context ops from outside roll back and commit with the caller\'s transaction', async () => {
    await db.query(`CREATE TABLE ${engine.sqlSchema}.orders (id text PRIMARY KEY)`);
    const h = await mf.workflow.start({ taskQueue: 'pg', workflowName: 'hello', args: ['tx'] });
    await h.result();
    const outside = h.context();
    const versionBefore = await outside.version();

    const tx = new pg.Client({ connectionString: POSTGRES_URL });
    await tx.connect();
    try {
      await tx.query('BEGIN');
      await tx.query(`INSERT INTO ${engine.sqlSchema}.orders VALUES ('o-1')`);
      const inTx = h.context({ tx });
      await inTx.merge({ order: 'o-1' });
      expect(await inTx.increment('orders')).toBe(1);
      expect(await inTx.get()).toEqual({ order: 'o-1', orders: 1 }); // the transaction sees its own ops
      expect(await outside.get()).toEqual({}); // nobody else does yet
      await tx.query('ROLLBACK');
      expect(await outside.get()).toEqual({});
      expect(await outside.version()).toBe(versionBefore);
      expect(await outside.history()).toEqual([]);

      await tx.query('BEGIN');
      await tx.query(`INSERT INTO ${engine.sqlSchema}.orders VALUES ('o-2')`);
      const viaMf = await mf.workflow.context(h.workflowId, { tx, actor: 'checkout' });
      await viaMf.merge({ order: 'o-2' });
      await viaMf.increment('orders');
      await tx.query('COMMIT');
    } finally {
      await tx.end();
    }
    expect(await outside.get()).toEqual({ order: 'o-2', orders: 1 });
    expect((await outside.history()).map((c) => `${c.version} ${c.op} ${c.actor}`)).toEqual(['1 merge checkout', '2 increment checkout']);
    expect((await db.query(`SELECT id FROM ${engine.sqlSchema}.orders ORDER BY id`)).rows).toEqual([{ id: 'o-2' }]);
  });

  it('connection forms: a postgres:// string and { connectionString } reach PostgreSQL', async () => {
    for (const connection of [POSTGRES_URL, { connectionString: POSTGRES_URL }]) {
      const formApp = uniqueAppId('promises-form');
      const form = await MemFlow.init({ appId: formApp, engine: { connection } });
      try {
        await form.worker.create({ taskQueue: 'form', workflow: hello });
        const h = await form.workflow.start({ taskQueue: 'form', workflowName: 'hello', args: ['url'] });
        expect(await h.result()).toBe('Hello, url!');
        // on the PostgreSQL server, not an embedded database
        const jobs = await db.query(`SELECT id FROM ${(await form.client.engine(formApp)).sqlSchema}.jobs`);
        expect(jobs.rows).toEqual([{ id: h.workflowId }]);
      } finally {
        await form.shutdown();
      }
    }
  });

  it('connection forms: { pool } and a bare pg.Pool are used, and never closed by the engine', async () => {
    for (const wrap of [(pool: pg.Pool) => ({ pool }), (pool: pg.Pool) => pool]) {
      const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 4 });
      const poolApp = uniqueAppId('promises-pool');
      let ended = false;
      const end = pool.end.bind(pool);
      pool.end = (async () => {
        ended = true;
        return end();
      }) as typeof pool.end;
      try {
        const owned = await MemFlow.init({ appId: poolApp, engine: { connection: wrap(pool) } });
        await owned.worker.create({ taskQueue: 'pool', workflow: hello });
        const h = await owned.workflow.start({ taskQueue: 'pool', workflowName: 'hello', args: ['pool'] });
        expect(await h.result()).toBe('Hello, pool!');
        expect(pool.totalCount).toBeGreaterThan(0); // the engine's statements went through this pool
        await owned.shutdown();
        expect(ended).toBe(false);
        expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
      } finally {
        await end();
      }
    }
  });
});
