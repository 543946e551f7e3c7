/**
 * The README's samples, run as written (import path `hotmesh`), on both backends: the quick start
 * and the full hooks & context example, with its verbatim `startWorker()` and appId 'my-app'.
 */
import { MemFlow } from 'hotmesh';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorker } from '../examples/hooks-and-context.js';
import { main } from '../examples/quick-start.js';
import { backend, POSTGRES_URL } from './support/backend.js';

describe('README examples', () => {
  beforeAll(async () => {
    // The samples read DATABASE_URL; unset, they run on the embedded database (kept in memory here).
    if (backend === 'postgres') process.env.DATABASE_URL = POSTGRES_URL;
    else {
      delete process.env.DATABASE_URL;
      process.env.HOTMESH_DATA_DIR = 'memory://';
    }
    await startWorker();
  });
  afterAll(() => MemFlow.shutdown());

  it('runs the quick start and the hooks example to the promised context', async () => {
    const handle = await main();
    expect(await handle.result()).toBe(
      'The main has completed; the db record persists and can be hydrated; hook in from the outside!',
    );
    const ctx = await handle.context().get();
    expect(ctx.user.name).toBe('Jane');
    expect(typeof ctx.user.lastSeen).toBe('string');
    expect(ctx.hooks.r1).toMatchObject({ kind: 'hook1', processed: true });
    expect(ctx.hooks.r2).toEqual({ ok: true });
    expect(ctx.metrics.count).toBe(2);
  });

  it("serves the README's partial-index recipe on the app's tables", async () => {
    const engine = await new MemFlow.Client({
      connection: backend === 'postgres' ? { connectionString: POSTGRES_URL } : { dataDir: 'memory://' },
    }).engine('my-app');
    await engine.driver.query(`DROP INDEX IF EXISTS my_app.idx_user_premium`);
    // verbatim from the README, with `your_app` replaced by the documented schema of 'my-app'
    await engine.driver.query(`CREATE INDEX idx_user_premium ON my_app.jobs (id)
WHERE entity = 'user' AND (context->>'isPremium')::boolean = true;`);
    // The planner picks the partial index when it is the selective one: a table of many 'user' jobs,
    // few of them premium, with fresh statistics. On a near-empty table it may tie with `jobs_entity`
    // and pick either (it did once in CI), so the rows are added, analysed and rolled back here.
    const rolledBack = new Error('roll back the sample rows');
    let plan = '';
    await engine.driver
      .transaction(async (tx) => {
        await tx.query(
          `INSERT INTO my_app.jobs (id, entity, workflow_name, task_queue, context)
           SELECT 'recipe-' || i, 'user', 'sample', 'sample', jsonb_build_object('isPremium', i % 200 = 0)
           FROM generate_series(1, 4000) AS i`,
        );
        await tx.query('ANALYZE my_app.jobs');
        await tx.query('SET LOCAL enable_seqscan = off');
        const res = await tx.query<{ 'QUERY PLAN': string }>(
          `EXPLAIN SELECT id FROM my_app.jobs WHERE entity = 'user' AND (context->>'isPremium')::boolean = true`,
        );
        plan = res.rows.map((r) => r['QUERY PLAN']).join('\n');
        throw rolledBack;
      })
      .catch((err) => {
        if (err !== rolledBack) throw err;
      });
    expect(await engine.driver.query(`SELECT 1 FROM my_app.jobs WHERE id LIKE 'recipe-%' LIMIT 1`)).toMatchObject({ rowCount: 0 });
    expect(plan).toContain('idx_user_premium');
  });
});
