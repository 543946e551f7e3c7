/**
 * Context ops against the raw statement they replace: `UPDATE … SET context = jsonb_set(…)` on a
 * table of the same shape, in the same run. The engine's op is one statement too, but it also
 * validates the path, bumps the version and appends a context_log row (the history).
 *   - increments on one hot job, 1 writer (interleaved p50) and 16 concurrent writers (ops/s);
 *   - merges into 1 KB and 8 KB contexts (interleaved p50).
 */
import pg from 'pg';
import { quoteIdentifier } from '../../src/storage/sql-identifier.js';
import { DATABASE_URL, type RawSql } from '../backends.js';
import { runConcurrent, sampleInterleaved } from '../measure.js';
import { type BenchContext, scaled, type Section } from '../section.js';
import { ms, ratio, summarize } from '../stats.js';
import { runWorkflow } from '../workflows.js';

const TARGET = 1.5;

/** A document of about `bytes` bytes of JSON. */
function documentOf(bytes: number): Record<string, unknown> {
  const doc: Record<string, unknown> = { metrics: { count: 0 }, profile: {} };
  for (let i = 0; JSON.stringify(doc).length < bytes; i++) (doc.profile as Record<string, string>)[`field${i}`] = 'x'.repeat(40);
  return doc;
}

async function newJob(ctx: BenchContext, doc: Record<string, unknown>) {
  const handle = await ctx.mf.workflow.start({ workflowName: 'benchOneStep', taskQueue: ctx.taskQueue });
  await handle.result();
  const memory = handle.context({ actor: 'bench' });
  await memory.set(doc);
  return memory;
}

/** A pool as large as the engine's for the concurrent baseline (PGlite: its one in-process session). */
async function rawPool(ctx: BenchContext): Promise<RawSql> {
  if (ctx.backend.id !== 'postgres') return ctx.raw;
  const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 10 });
  pool.on('error', () => {});
  return { via: 'pg.Pool(10)', query: (sql, params) => pool.query(sql, params as unknown[]), close: () => pool.end() };
}

export const contextOps: Section = {
  id: 'context',
  title: 'context ops vs raw jsonb_set UPDATE',
  async run(ctx) {
    const table = `${quoteIdentifier(ctx.schema)}.bench_context`;
    await ctx.raw.query(`CREATE TABLE IF NOT EXISTS ${table} (id text PRIMARY KEY, context jsonb NOT NULL)`);
    const rawIncrement = `UPDATE ${table} SET context = jsonb_set(context, '{metrics,count}',
      to_jsonb(coalesce((context #>> '{metrics,count}')::numeric, 0) + 1)) WHERE id = $1`;
    const rawMerge = `UPDATE ${table} SET context = jsonb_set(context, '{profile,latest}', $2::jsonb) WHERE id = $1`;
    const rows = [];
    const target = (r: number) => ({ text: `≤ ${TARGET}× raw`, met: r <= TARGET });

    // increments, one writer
    const small = documentOf(256);
    await ctx.raw.query(`INSERT INTO ${table} VALUES ('hot', $1::jsonb) ON CONFLICT (id) DO UPDATE SET context = excluded.context`, [JSON.stringify(small)]);
    const hot = await newJob(ctx, small);
    const plan = { warmup: scaled(ctx, 50), iterations: scaled(ctx, 500), budgetMs: 15_000 };
    const one = await sampleInterleaved(
      { engine: () => hot.increment('metrics.count'), raw: () => ctx.raw.query(rawIncrement, ['hot']) },
      plan,
    );
    const e1 = summarize(one.engine).p50;
    const r1 = summarize(one.raw).p50;
    rows.push({ metric: 'increment, 1 writer', value: `${ms(e1)} vs ${ms(r1)} ms = ${ratio(e1 / r1)}`, target: target(e1 / r1), detail: `p50 engine vs raw, n=${one.engine.length}` });

    // increments, 16 writers on one hot job
    const pool = await rawPool(ctx);
    try {
      const concurrent = { inFlight: 16, warmup: scaled(ctx, 64), total: scaled(ctx, 2000), budgetMs: 15_000 };
      const engine16 = await runConcurrent(() => hot.increment('metrics.count'), concurrent);
      const raw16 = await runConcurrent(() => pool.query(rawIncrement, ['hot']), concurrent);
      const r16 = raw16.perSecond / engine16.perSecond;
      rows.push({
        metric: 'increment, 16 writers',
        value: `${engine16.perSecond.toFixed(0)} vs ${raw16.perSecond.toFixed(0)} ops/s = ${ratio(r16)}`,
        target: target(r16),
        detail: `one hot row; raw via ${pool.via}; engine p50 ${ms(summarize(engine16.latencies).p50)} ms`,
      });
    } finally {
      if (pool !== ctx.raw) await pool.close();
    }

    // merges into 1 KB and 8 KB documents
    for (const size of [1024, 8192]) {
      const doc = documentOf(size);
      const id = `merge-${size}`;
      await ctx.raw.query(`INSERT INTO ${table} VALUES ($1, $2::jsonb) ON CONFLICT (id) DO UPDATE SET context = excluded.context`, [id, JSON.stringify(doc)]);
      const job = await newJob(ctx, doc);
      let i = 0;
      const merges = await sampleInterleaved(
        {
          engine: () => job.merge({ profile: { latest: { i: ++i } } }),
          raw: () => ctx.raw.query(rawMerge, [id, JSON.stringify({ i: ++i })]),
        },
        plan,
      );
      const e = summarize(merges.engine).p50;
      const r = summarize(merges.raw).p50;
      rows.push({ metric: `merge, ${size / 1024} KB context`, value: `${ms(e)} vs ${ms(r)} ms = ${ratio(e / r)}`, target: target(e / r), detail: `p50 engine vs raw` });
    }
    await runWorkflow(ctx, (await import('../workflows.js')).benchOneStep); // leave the worker warm for later sections
    return rows;
  },
};
