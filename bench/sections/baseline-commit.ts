/**
 * The yardstick: one autocommit INSERT of one row into a scratch table, outside the engine, through
 * the backend's own driver kind. Every engine step is at least one such commit.
 */
import { performance } from 'node:perf_hooks';
import { quoteIdentifier } from '../../src/storage/sql-identifier.js';
import { sampleInterleaved, sampleSequential } from '../measure.js';
import { type BenchContext, scaled, type Section } from '../section.js';
import { ms, summarize } from '../stats.js';

/** The baseline operation (creates the scratch table on first use). */
export async function baselineInsert(ctx: BenchContext): Promise<() => Promise<unknown>> {
  const table = `${quoteIdentifier(ctx.schema)}.bench_scratch`;
  await ctx.raw.query(`CREATE TABLE IF NOT EXISTS ${table} (id bigserial PRIMARY KEY, v text NOT NULL)`);
  const insert = `INSERT INTO ${table} (v) VALUES ($1)`;
  return () => ctx.raw.query(insert, ['x']);
}

function busyFor(msToSpin: number): void {
  const until = performance.now() + msToSpin;
  while (performance.now() < until);
}

export const baselineCommit: Section = {
  id: 'baseline',
  title: 'baseline: raw 1-row INSERT commit',
  async run(ctx) {
    const samples = await sampleSequential(await baselineInsert(ctx), {
      warmup: scaled(ctx, 1000), // as many as the 1-step workflow's, which it is divided into
      iterations: scaled(ctx, 1000),
      budgetMs: 10_000,
    });
    const s = summarize(samples);
    ctx.metrics.set('baseline.p50', s.p50);
    ctx.metrics.set('baseline.mean', s.mean);
    // the same commit after a millisecond of this process's CPU work, with no engine at all: what a
    // statement of a workflow sees (the ratio sections sample their raw commits between workflows)
    const insert = await baselineInsert(ctx);
    const apart = summarize(
      await sampleInterleaved(
        { work: async () => busyFor(1), commit: insert },
        { warmup: scaled(ctx, 200), iterations: scaled(ctx, 600), budgetMs: 5_000 },
      ).then((x) => x.commit),
    );
    return [
      { metric: 'p50 / mean', value: `${ms(s.p50)} / ${ms(s.mean)} ms`, detail: `n=${s.n}, p99 ${ms(s.p99)} ms, via ${ctx.raw.via}, commits back to back` },
      { metric: 'p50, 1 ms apart', value: `${ms(apart.p50)} ms`, detail: `n=${apart.n}: each after 1 ms of this process's CPU work (no engine), ${(apart.p50 / s.p50).toFixed(2)}× back to back` },
    ];
  },
};
