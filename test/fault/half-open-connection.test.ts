/**
 * Half-open connections (PostgreSQL only): the worker reaches PostgreSQL through a TCP proxy
 * (test/support/blackhole-proxy.ts) that, when switched, silently drops every byte on the connections
 * open through it, with no FIN and no RST, as after a failover or a NAT table losing its state.
 * Connections opened afterwards work: the database itself is healthy, and the test's own client (which
 * starts jobs and reads results) connects to it directly.
 *
 * Before the fix, the worker's next claim was sent on a dead pooled connection and never returned;
 * every later claim waited behind it (the loop's single `claiming` promise), so a job started after
 * the switch never ran; the LISTEN connection stayed dead; and shutdown() hung (pool.end() waits for
 * a goodbye that never comes).
 *
 * The worker runs with the default deadlines (postgres-driver.ts CONNECTION_DEFAULTS, task-loop.ts
 * LOOP_STATEMENT_DEADLINE), so this test takes about half a minute.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemFlow, type MemFlowInstance } from '../../src/index.js';
import { schemaForApp } from '../../src/storage/sql-identifier.js';
import { BlackholeProxy } from '../support/blackhole-proxy.js';
import { eventually, POSTGRES_URL, uniqueAppId } from '../support/backend.js';

const TASK_QUEUE = 'half-open';
const GRACE_MS = 1_000;
/** The loop's claim deadline (10 s) plus a poll, with room: the job must run well within a lease. */
const JOB_WITHIN_MS = 20_000;
/** The LISTEN check (every 10 s, answer within 10 s) plus the reconnect. */
const LISTEN_WITHIN_MS = 25_000;
const url = new URL(POSTGRES_URL);

const acts = MemFlow.workflow.proxyActivities({
  activities: {
    async halfOpenStep(tag: string, ms: number): Promise<string> {
      await new Promise((r) => setTimeout(r, ms));
      return `${tag}:done`;
    },
  },
});

export async function halfOpenWork(tag: string, ms: number): Promise<string> {
  return acts.halfOpenStep(tag, ms);
}

describe('a worker whose connections go half-open', () => {
  const appId = uniqueAppId('half-open');
  let proxy: BlackholeProxy;
  let client: MemFlowInstance;
  let db: pg.Client;

  /** A worker reaching PostgreSQL through the proxy, with the default deadlines. */
  async function startWorker(): Promise<MemFlowInstance> {
    const proxied = new URL(POSTGRES_URL);
    proxied.host = `127.0.0.1:${proxy.port}`;
    const mf = await MemFlow.init({
      appId,
      engine: { connection: { class: pg.Client, options: { connectionString: proxied.toString() } } },
      worker: { shutdownGraceMs: GRACE_MS },
    });
    await mf.worker.create({ taskQueue: TASK_QUEUE, workflow: halfOpenWork });
    return mf;
  }

  beforeAll(async () => {
    proxy = new BlackholeProxy(url.hostname, Number(url.port || 5432));
    await proxy.listen();
    client = await MemFlow.init({ appId, engine: { connection: { class: pg.Client, options: { connectionString: POSTGRES_URL } } } });
    db = new pg.Client({ connectionString: POSTGRES_URL });
    await db.connect();
  });
  afterAll(async () => {
    await client?.shutdown();
    await db.query(`DROP SCHEMA IF EXISTS "${schemaForApp(appId)}" CASCADE`);
    await db.end();
    await proxy.close();
  });

  async function run(tag: string, ms: number, withinMs: number): Promise<unknown> {
    const handle = await client.workflow.start({ taskQueue: TASK_QUEUE, workflowName: 'halfOpenWork', workflowId: tag, args: [tag, ms] });
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        handle.result(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`${tag}: no result within ${withinMs} ms`)), withinMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  it('a job started after the switch runs on fresh connections, and the LISTEN connection is replaced', { timeout: 90_000 }, async () => {
    const worker = await startWorker();
    expect(await run(`warm-${Date.now()}`, 0, 10_000)).toMatch(/:done$/);
    const switchedAt = Date.now();
    expect(proxy.blackhole()).toBeGreaterThanOrEqual(2); // at least one pooled connection and the LISTEN one

    const tag = `after-${Date.now()}`;
    const started = Date.now();
    expect(await run(tag, 0, JOB_WITHIN_MS)).toBe(`${tag}:done`);
    const tookMs = Date.now() - started;
    console.log(`half-open: a job started after the switch ran in ${tookMs} ms`);

    // The LISTEN session was re-established through a fresh connection.
    await eventually(async () => {
      const ports = proxy.healthyPortsSince(switchedAt);
      if (ports.length === 0) return false;
      const res = await db.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'hotmesh-listen' AND client_port = ANY($1::int[])`, [
        ports,
      ]);
      return res.rows[0].n >= 1;
    }, LISTEN_WITHIN_MS);
    console.log(`half-open: LISTEN replaced ${Date.now() - switchedAt} ms after the switch`);
    await worker.shutdown();
  });

  it('shutdown() returns within its grace (plus the bounded close) with a run hung on dead connections', async () => {
    const worker = await startWorker();
    expect(await run(`warm2-${Date.now()}`, 0, 10_000)).toMatch(/:done$/);
    // a run in flight: its activity is running when the connections go half-open, so its journal
    // write hangs; the poller's next claim hangs too
    const tag = `hung-${Date.now()}`;
    await client.workflow.start({ taskQueue: TASK_QUEUE, workflowName: 'halfOpenWork', workflowId: tag, args: [tag, 700] });
    await new Promise((r) => setTimeout(r, 300));
    proxy.blackhole();
    await new Promise((r) => setTimeout(r, 1_000)); // the activity has returned: its write is on the wire

    const started = Date.now();
    const outcome = await Promise.race([
      worker.shutdown().then(() => 'returned'),
      new Promise((r) => setTimeout(() => r('still hung after 15 s'), 15_000)),
    ]);
    const tookMs = Date.now() - started;
    console.log(`half-open: shutdown ${outcome} after ${tookMs} ms`);
    expect(outcome).toBe('returned');
    // about the grace, a give-back and the bounded close (~3 s) when quiet; the bug hung until a statement
    // deadline (30-35 s), so 10 s leaves a loaded machine room and still tells them apart
    expect(tookMs).toBeLessThan(10_000);
  });
});
