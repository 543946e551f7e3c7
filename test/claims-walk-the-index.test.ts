/**
 * Issue 12: a claim walks the ready index in order and stops at its batch. A claim used to read and
 * sort every ready task of its topics (`topic = ANY(...) ORDER BY run_at` under FOR UPDATE: 150 ms at
 * 200,000 ready tasks, repeated by every worker); migration 0033 walks tasks_ready per topic.
 *
 * Measured by the rows the claim reads from `tasks` (the statistics collector's seq_tup_read +
 * idx_tup_fetch, flushed on demand), not by time: with 20,000 ready tasks, a claim of 16 reads a few
 * dozen rows (it read all 20,000 before). The batch is still the earliest ready tasks, across topics.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemFlow, type MemFlowInstance } from '../src/index.js';
import type { Engine } from '../src/engine/engine.js';
import { claimTasks } from '../src/sql/queries/tasks.js';
import { testConnection, uniqueAppId } from './support/backend.js';

const READY = 20_000;

describe('a claim under a backlog', () => {
  let mf: MemFlowInstance;
  let engine: Engine;
  beforeAll(async () => {
    mf = await MemFlow.init({ appId: uniqueAppId('claim-index'), engine: { connection: testConnection() } });
    engine = await mf.client.engine(mf.appId);
    const s = engine.sqlSchema;
    // two topics, interleaved in time: 'b' holds the earliest task of all
    await engine.driver.exec(
      `INSERT INTO ${s}.tasks (job_id, thread, kind, topic, run_at)
       SELECT 'j' || i, 'main', 'thread', CASE WHEN i % 2 = 0 THEN 'q-a' ELSE 'q-b' END,
              now() - interval '1 hour' + i * interval '1 ms'
         FROM generate_series(1, ${READY}) i;
       ANALYZE ${s}.tasks;`,
    );
  }, 60_000);
  afterAll(() => mf.shutdown());

  /** Rows of `tasks` read (sequentially or through an index) by `body`. */
  async function rowsRead(body: () => Promise<unknown>): Promise<number> {
    const read = async () => {
      await engine.driver.query('SELECT pg_stat_force_next_flush()');
      await engine.driver.query('SELECT 1'); // a transaction end, where the flush happens
      await engine.driver.query('SELECT pg_stat_clear_snapshot()');
      const r = await engine.driver.query<{ n: string }>(
        `SELECT (coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0))::text AS n FROM pg_stat_user_tables
          WHERE schemaname = $1 AND relname = 'tasks'`,
        [engine.schema],
      );
      return Number(r.rows[0]!.n);
    };
    const before = await read();
    await body();
    return (await read()) - before;
  }

  it('reads a few rows per task it takes, not every ready task, and takes the earliest first', async () => {
    let claimed: string[] = [];
    const read = await rowsRead(async () => {
      const res = await engine.query(claimTasks, { owner: 'test', leaseSeconds: 30, topics: ['q-a', 'q-b'], limit: 16 });
      claimed = res.rows.map((r) => r.job_id);
    });
    expect(claimed).toHaveLength(16);
    expect(new Set(claimed)).toEqual(new Set(Array.from({ length: 16 }, (_, i) => `j${i + 1}`)));
    expect(read, `rows of tasks read by one claim of 16 (${READY} ready)`).toBeLessThan(200);
  }, 30_000);
});
