/**
 * The lock order that keeps grouped finishes free of deadlocks (PostgreSQL: PGlite has one session,
 * nothing waits there). A group locks every task row it changes first, in id order: its own and the
 * awaiting parents' it wakes; the heartbeat locks the leases it extends in id order too. Found by a
 * review: a group and its own process's heartbeat, and two processes' groups over shared parents,
 * deadlocked (40P01 after deadlock_timeout, 1 s, with every finish of the engine waiting behind it).
 *
 * Each case holds the lowest-id row from a third session and checks, while the statement under test
 * waits for it, that a row with a higher id is still free: a statement that locks in id order holds
 * nothing past the row it waits for.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../src/engine/engine.js';
import { MemFlow, type MemFlowInstance } from '../src/index.js';
import * as tasks from '../src/sql/queries/tasks.js';
import * as threads from '../src/sql/queries/threads.js';
import { POSTGRES_URL, uniqueAppId } from './support/backend.js';

describe('grouped finishes and the heartbeat lock task rows in id order', () => {
  let mf: MemFlowInstance;
  let engine: Engine;
  let blocker: pg.Client;
  let probe: pg.Client;
  let n = 0;

  beforeAll(async () => {
    mf = await MemFlow.init({ appId: uniqueAppId('lockorder'), engine: { connection: { class: pg.Client, options: { connectionString: POSTGRES_URL } } } });
    engine = await mf.client.engine(mf.appId);
    blocker = new pg.Client({ connectionString: POSTGRES_URL });
    probe = new pg.Client({ connectionString: POSTGRES_URL });
    await blocker.connect();
    await probe.connect();
  });
  afterAll(async () => {
    await blocker.end();
    await probe.end();
    await mf.shutdown();
  });

  const s = () => engine.sqlSchema;
  /** A job whose main task is held by `owner` (or free), with `options`; answers its task. */
  async function job(options: object, owner: string | null): Promise<{ jobId: string; id: string; claims: number }> {
    const jobId = `lock-${Date.now()}-${n++}`;
    const res = await probe.query(
      `SELECT id, claims FROM ${s()}.start_job_held($1, null, 'w', 'q', '[]'::jsonb, $2::jsonb, '{}'::jsonb, null, 'q-w', 'ch', '@t', $3, 60, false)`,
      [jobId, JSON.stringify(options), owner],
    );
    return { jobId, ...res.rows[0] };
  }

  /** Run `statement` while the blocker holds row `first` FOR SHARE; answers whether `later` was free meanwhile. */
  async function whileWaiting(first: string, later: string, statement: () => Promise<unknown>): Promise<{ laterFree: boolean; outcome: string }> {
    await blocker.query('BEGIN');
    await blocker.query(`SELECT 1 FROM ${s()}.tasks WHERE id = $1 FOR SHARE`, [first]);
    const before = new Set((await probe.query(`SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock'`)).rows.map((r) => r.pid));
    const outcome = statement().then(
      () => 'ok',
      (e: { code?: string }) => `error ${e.code}`,
    );
    let laterFree: boolean | undefined;
    const deadline = Date.now() + 5_000;
    while (laterFree === undefined && Date.now() < deadline) {
      // the statement under test waits for the blocker's row (a group gives up after its lock_timeout)
      const waiting = (await probe.query(`SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock'`)).rows.filter((r) => !before.has(r.pid));
      if (waiting.length > 0) {
        await probe.query('BEGIN');
        laterFree = await probe.query(`SELECT 1 FROM ${s()}.tasks WHERE id = $1 FOR UPDATE NOWAIT`, [later]).then(
          () => true,
          (e: { code?: string }) => (e.code === '55P03' ? false : Promise.reject(e)),
        );
        await probe.query('ROLLBACK');
      }
    }
    await blocker.query('COMMIT');
    return { laterFree: laterFree ?? false, outcome: await outcome };
  }

  it('the heartbeat, given its leases in any order, waits at the lowest id holding none above it', async () => {
    const owner = `hb-${Date.now()}`;
    const a = await job({}, owner);
    const b = await job({}, owner);
    expect(BigInt(a.id) < BigInt(b.id)).toBe(true);
    const { laterFree, outcome } = await whileWaiting(a.id, b.id, () =>
      engine.query(tasks.extendLeases, { ids: [b.id, a.id], claims: [b.claims, a.claims], leaseSeconds: 60, owner }),
    );
    expect(laterFree, 'the heartbeat locked the higher id before it got the lower one').toBe(true);
    expect(outcome).toBe('ok');
  });

  it('a finish group locks its own and its parents\' task rows first, in id order', async () => {
    // parents first (lower ids), then their children, held by this worker
    const p = await job({}, null);
    const q = await job({}, null);
    const owner = `grp-${Date.now()}`;
    const child = (parent: string, seq: number) => ({ parent: { job: parent, thread: 'main', seq, await: true } });
    const c2 = await job(child(q.jobId, 1), owner);
    const c4 = await job(child(p.jobId, 2), owner);
    const item = (t: { id: string; claims: number; jobId: string }) => ({
      taskId: t.id,
      claims: t.claims,
      jobId: t.jobId,
      thread: 'main',
      entries: '[]',
      stamps: '[]',
      status: 'completed',
      output: '1',
      error: null,
      expireSeconds: null,
      channel: engine.channel,
      origin: '@t',
    });
    // the group's items in task order would wake Q (c2's parent) before P: P's row is the lowest
    const { laterFree, outcome } = await whileWaiting(p.id, c2.id, () =>
      engine.query(threads.finishThreads, { items: JSON.stringify([item(c2), item(c4)].map((it, i) => ({ ...it, i }))) }),
    );
    expect(laterFree, 'the group changed its own task before it had the parent\'s row').toBe(true);
    // it waited at most its lock_timeout for the parent's row, then was refused (sent item by item by
    // the engine), or it got the row in time: never a deadlock
    expect(['ok', 'error 55P03']).toContain(outcome);
  });
});
