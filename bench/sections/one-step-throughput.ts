/** The same 1-step workflow with 16 started-and-awaited at once (the worker's default concurrency). */
import { runConcurrent } from '../measure.js';
import { scaled, type Section } from '../section.js';
import { ms, summarize } from '../stats.js';
import { benchOneStep, runWorkflow } from '../workflows.js';

const IN_FLIGHT = 16;

export const oneStepThroughput: Section = {
  id: 'wf1x16',
  title: `1-step workflow, ${IN_FLIGHT} in flight`,
  async run(ctx) {
    const t = await runConcurrent(() => runWorkflow(ctx, benchOneStep), {
      inFlight: IN_FLIGHT,
      warmup: scaled(ctx, 4 * IN_FLIGHT),
      total: scaled(ctx, 3000),
      budgetMs: 15_000,
    });
    const lat = summarize(t.latencies);
    ctx.metrics.set('wf1x16.perSecond', t.perSecond);
    return [
      {
        metric: 'throughput',
        value: `${t.perSecond.toFixed(0)} workflows/s`,
        detail:
          `${t.completed} in ${(t.elapsedMs / 1000).toFixed(2)} s; latency p50 ${ms(lat.p50)} / p99 ${ms(lat.p99)} ms; ` +
          `this process ${ms(t.cpuMs / t.completed)} ms CPU/workflow (${((100 * t.cpuMs) / t.elapsedMs).toFixed(0)}% of a core)`,
      },
    ];
  },
};
