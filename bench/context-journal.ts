/**
 * `npx tsx bench/context-journal.ts [postgres|pglite] [merges] [repo root]`: a workflow merges
 * `merges` (default 40) objects of 20 KB into its context, then waits for a signal. Prints the
 * stored bytes of the job's journal rows and context checkpoints (pg_column_size: compressed as
 * stored), the context's bytes as text, and the wake time: from
 * the signal being sent until the workflow runs past its waitFor (claim, journal reload, replay of
 * every merge). Before migration 0028 the journal held every merge's whole document (quadratic).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

const backend = process.argv[2] === 'pglite' ? 'pglite' : 'postgres';
const merges = Number(process.argv[3] ?? 40);
const root = process.argv[4] ?? new URL('..', import.meta.url).pathname;
const { MemFlow } = await import(`${root}/src/index.ts`);
const url = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const appId = `ctxbench-${Math.random().toString(16).slice(2, 8)}`;
const connection = backend === 'postgres' ? { class: pg.Client, options: { connectionString: url } } : { dataDir: 'memory://' };

let resumedAt = 0;
const chunk = randomBytes(15 * 1024).toString('base64'); // 20 KB that does not compress
export async function merger(n: number) {
  const ctx = await MemFlow.workflow.context();
  let last: unknown;
  for (let i = 0; i < n; i++) last = await ctx.merge({ [`k${i}`]: chunk });
  await MemFlow.workflow.waitFor('go');
  resumedAt = performance.now();
  return Object.keys(last as object).length;
}

const mf = await MemFlow.init({ appId, engine: { connection } });
await mf.worker.create({ taskQueue: 'bench', workflow: merger });
const engine = await mf.client.engine(appId);
const s = engine.sqlSchema;
try {
  const wakes: number[] = [];
  let journalBytes = 0;
  let contextBytes = 0;
  let checkpointBytes = 0;
  for (let round = 0; round < 3; round++) {
    const handle = await mf.workflow.start({ taskQueue: 'bench', workflowName: 'merger', args: [merges] });
    for (;;) {
      const w = await engine.driver.query(`SELECT 1 FROM ${s}.waiters WHERE job_id = $1`, [handle.workflowId]);
      if (w.rows.length) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    // a run that suspends releases its task after registering the waiter: let it, so the signal wakes a fresh claim
    await new Promise((r) => setTimeout(r, 200));
    resumedAt = 0;
    const sent = performance.now();
    await handle.signal('go', {});
    const keys = await handle.result();
    if (keys !== merges) throw new Error(`expected ${merges} keys, got ${keys}`);
    wakes.push(resumedAt - sent);
    const j = await engine.driver.query(
      `SELECT coalesce(sum(pg_column_size(j.*)), 0)::text AS bytes FROM ${s}.journal j WHERE job_id = $1`,
      [handle.workflowId],
    );
    const cp = await engine.driver.query(
      `SELECT coalesce(sum(pg_column_size(c.*)), 0)::text AS bytes FROM ${s}.context_checkpoints c WHERE job_id = $1`,
      [handle.workflowId],
    ).catch(() => ({ rows: [{ bytes: '0' }] }));
    checkpointBytes = Number(cp.rows[0]!.bytes);
    const c = await engine.driver.query(`SELECT octet_length(context::text)::text AS bytes FROM ${s}.jobs WHERE id = $1`, [
      handle.workflowId,
    ]);
    journalBytes = Number(j.rows[0]!.bytes);
    contextBytes = Number(c.rows[0]!.bytes);
  }
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
  console.log(
    `${backend}, ${merges} merges of 20 KB: journal rows ${kb(journalBytes)}, checkpoints ${kb(checkpointBytes)} (stored sizes), context ${kb(contextBytes)}, ` +
      `wake ${wakes.map((w) => w.toFixed(0)).join(' / ')} ms`,
  );
} finally {
  await mf.shutdown();
  if (backend === 'postgres') {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query(`DROP SCHEMA ${s} CASCADE`);
    await c.query(`DELETE FROM hotmesh_registry.migrations WHERE schema_name = $1`, [s]);
    await c.query(`DELETE FROM hotmesh_registry.apps WHERE schema_name = $1`, [s]);
    await c.end();
  }
}
