/**
 * The same 1-step workflow with 16 and with 64 started-and-awaited at once (the worker runs 64 at a
 * time by default, so each start is taken by the starting process's worker, with no claim). Targets
 * from issue 12: four times the best Postgres-native peer, about 5× DBOS Transact 5.3.0 measured on
 * this kind of machine (331 and 377 workflows/s); bench/peers/dbos.sh measures DBOS beside this
 * project in one run for the ratio.
 */
import { runConcurrent } from '../measure.js';
import { type BenchContext, type Row, scaled, type Section } from '../section.js';
import { ms, summarize } from '../stats.js';
import { benchOneStep, runWorkflow } from '../workflows.js';
import type { WriteKind } from '../../src/engine/write-lane.js';

/** In flight → workflows/s target on Postgres (5 × DBOS's 331 and 377 in the run). */
const TARGETS: Record<number, number> = { 16: 1650, 64: 1900 };

/**
 * Items per statement of a grouped statement from now on (group commit, engine/group-commit.ts):
 * call the answer after the measurement.
 */
function itemsPerStatement(ctx: BenchContext, kind: WriteKind): () => string {
  const counts = () => ctx.engine.writes.stats(kind);
  const before = counts();
  return () => {
    const now = counts();
    const statements = now.statements - before.statements;
    return statements > 0 ? ((now.items - before.items) / statements).toFixed(1) : '-';
  };
}

async function measure(ctx: BenchContext, inFlight: number): Promise<Row> {
  const starts = itemsPerStatement(ctx, 'start');
  const finishes = itemsPerStatement(ctx, 'finish');
  const t = await runConcurrent(() => runWorkflow(ctx, benchOneStep), {
    inFlight,
    warmup: scaled(ctx, 4 * inFlight),
    total: scaled(ctx, 3000),
    budgetMs: 15_000,
  });
  const lat = summarize(t.latencies);
  ctx.metrics.set(`wf1x${inFlight}.perSecond`, t.perSecond);
  const goal = TARGETS[inFlight]!;
  return {
    metric: `throughput @${inFlight}`,
    value: `${t.perSecond.toFixed(0)} workflows/s`,
    target: ctx.backend.id === 'postgres' ? { text: `≥ ${goal}/s (≈ 5× DBOS)`, met: t.perSecond >= goal } : undefined,
    detail:
      `${t.completed} in ${(t.elapsedMs / 1000).toFixed(2)} s; latency p50 ${ms(lat.p50)} / p99 ${ms(lat.p99)} ms; ` +
      `this process ${ms(t.cpuMs / t.completed)} ms CPU/workflow (${((100 * t.cpuMs) / t.elapsedMs).toFixed(0)}% of a core); ` +
      `group commit: ${starts()} starts, ${finishes()} finishes per statement`,
  };
}

export const oneStepThroughput: Section = {
  id: 'wf1x16',
  title: '1-step workflow, 16 and 64 in flight',
  async run(ctx) {
    return [await measure(ctx, 16), await measure(ctx, 64)];
  },
};
