/**
 * A 1-step workflow (one inline activity), started and awaited one at a time, against the raw commit
 * of the same run (issue 12: p50 at most 4× the baseline commit; it was 7.3× when the issue was filed).
 */
import { sampleSequential } from '../measure.js';
import { scaled, type Section } from '../section.js';
import { ms, ratio, summarize } from '../stats.js';
import { benchOneStep, runWorkflow } from '../workflows.js';

const RATIO_TARGET = 4;

export const oneStepLatency: Section = {
  id: 'wf1',
  title: '1-step workflow, sequential',
  requires: ['baseline'],
  async run(ctx) {
    const samples = await sampleSequential(() => runWorkflow(ctx, benchOneStep), {
      // steady state: the process's first few hundred workflows run before V8 has optimised the hot
      // path (50 warm-up runs measured p50 1.49-1.50 ms, 1,000 measured 1.28-1.33 ms, same machine)
      warmup: scaled(ctx, 1000),
      iterations: scaled(ctx, 600),
      budgetMs: 20_000,
    });
    const s = summarize(samples);
    const baseline = ctx.metrics.get('baseline.p50')!;
    ctx.metrics.set('wf1.p50', s.p50);
    ctx.metrics.set('wf1.p99', s.p99);
    ctx.metrics.set('wf1.ratio', s.p50 / baseline);
    const target = ctx.backend.id === 'postgres' ? { text: `≤ ${RATIO_TARGET}× baseline commit`, met: s.p50 / baseline <= RATIO_TARGET } : undefined;
    return [
      { metric: 'p50 / p99', value: `${ms(s.p50)} / ${ms(s.p99)} ms`, detail: `n=${s.n}, mean ${ms(s.mean)}, max ${ms(s.max)} ms` },
      { metric: 'p50 / baseline', value: ratio(s.p50 / baseline), target, detail: `baseline commit p50 ${ms(baseline)} ms, same run` },
    ];
  },
};
