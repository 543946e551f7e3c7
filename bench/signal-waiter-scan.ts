/**
 * `npx tsx bench/signal-waiter-scan.ts [repo root] [GENERIC=1] [EXPLAIN=1]`: a job-addressed
 * deliver_signal with 100,000 waiters of the same signal id on other jobs (and 100,000 on distinct
 * ids, so the planner expects a row or two per id). Migration 0019 split the waiter scan by
 * addressing; before it, under a generic plan (GENERIC=1 forces one), every call filtered all 100k
 * waiters of the id (median 14.9 ms on the team machine; 0.22 ms after). EXPLAIN=1 prints the generic
 * plans of the old and the new statement. Runs against PostgreSQL (DATABASE_URL or the test server),
 * in a schema of its own that it drops.
 */
import pg from 'pg';

const root = process.argv[2] ?? new URL('..', import.meta.url).pathname;
const { MemFlow } = await import(`${root}/src/index.ts`);
const url = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const appId = `sigscan-${Math.random().toString(16).slice(2, 8)}`;
const mf = await MemFlow.init({ appId, engine: { connection: { class: pg.Client, options: { connectionString: url } } } });
const engine = await mf.client.engine(appId);
const s = engine.sqlSchema;
const c = new pg.Client({ connectionString: url });
await c.connect();
const explain = async (name: string, text: string) => {
  await c.query(`RESET plan_cache_mode`);
  await c.query(`PREPARE ${name}(text, text) AS ${text}`);
  await c.query(`SET plan_cache_mode = force_generic_plan`);
  const plan = await c.query(`EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON) EXECUTE ${name}('hot', 'job-1')`);
  console.log(`${name}:\n  ${plan.rows.map((r) => r['QUERY PLAN']).join('\n  ')}`);
};
try {
  await c.query(`INSERT INTO ${s}.waiters (job_id, thread, seq, signal_id) SELECT 'w-' || i, 'main', 1, 'hot' FROM generate_series(1, 100000) i`);
  await c.query(`INSERT INTO ${s}.waiters (job_id, thread, seq, signal_id) SELECT 'o-' || i, 'main', 1, 'sig-' || i FROM generate_series(1, 100000) i`);
  await c.query(`ANALYZE ${s}.waiters`);
  if (process.env.GENERIC) await c.query(`SET plan_cache_mode = force_generic_plan`);
  const times: number[] = [];
  await c.query('BEGIN');
  for (let i = 0; i < 30; i++) {
    const t = performance.now();
    await c.query(`SELECT ${s}.deliver_signal($1, 'hot', '1'::jsonb)`, [`job-${i}`]);
    times.push(performance.now() - t);
  }
  await c.query('ROLLBACK');
  const last = times.slice(10).sort((a, b) => a - b);
  console.log(`deliver_signal to a job, 100k waiters of the id elsewhere: calls 11-30 median ${last[10]!.toFixed(2)} ms, max ${last.at(-1)!.toFixed(2)} ms`);
  if (process.env.EXPLAIN) {
    await explain('before_0019', `SELECT job_id, thread, seq FROM ${s}.waiters WHERE signal_id = $1 AND ($2::text IS NULL OR job_id = $2)
      ORDER BY CASE WHEN $2 IS NULL THEN job_id END, CASE WHEN $2 IS NULL THEN thread END, created_at DESC, seq DESC`);
    await explain('since_0019', `SELECT job_id, thread, seq FROM ${s}.waiters WHERE signal_id = $1 AND job_id = $2 ORDER BY created_at DESC, seq DESC`);
  }
} finally {
  await c.query(`DROP SCHEMA ${s} CASCADE`);
  await c.query(`DELETE FROM hotmesh_registry.migrations WHERE schema_name = $1`, [s]);
  await c.query(`DELETE FROM hotmesh_registry.apps WHERE schema_name = $1`, [s]);
  await c.end();
  await mf.shutdown();
}
