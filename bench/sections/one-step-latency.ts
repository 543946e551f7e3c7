/** A 1-step workflow (one inline activity), started and awaited one at a time. */
import { sampleSequential } from '../measure.js';
import { scaled, type Section } from '../section.js';
import { ms, summarize } from '../stats.js';
import { benchOneStep, runWorkflow } from '../workflows.js';

const P50_TARGET_MS = 5;

export const oneStepLatency: Section = {
  id: 'wf1',
  title: '1-step workflow, sequential',
  async run(ctx) {
    const samples = await sampleSequential(() => runWorkflow(ctx, benchOneStep), {
      warmup: scaled(ctx, 50),
      iterations: scaled(ctx, 600),
      budgetMs: 20_000,
    });
    const s = summarize(samples);
    ctx.metrics.set('wf1.p50', s.p50);
    ctx.metrics.set('wf1.p99', s.p99);
    const target = ctx.backend.id === 'postgres' ? { text: `p50 < ${P50_TARGET_MS} ms`, met: s.p50 < P50_TARGET_MS } : undefined;
    return [
      { metric: 'p50 / p99', value: `${ms(s.p50)} / ${ms(s.p99)} ms`, detail: `n=${s.n}, mean ${ms(s.mean)}, max ${ms(s.max)} ms`, target },
    ];
  },
};
