/**
 * A 10-step workflow (ten sequential inline activities). What one more step costs is
 * (p50 10-step − p50 1-step) / 9, compared with the baseline commit measured by the baseline section
 * of the same run. The 1-step and 10-step workflows are sampled in interleaved rounds, so the
 * difference of their medians is not skewed by the machine getting busier between two sections.
 */
import { sampleInterleaved } from '../measure.js';
import { scaled, type Section } from '../section.js';
import { ms, ratio, summarize } from '../stats.js';
import { benchOneStep, benchTenSteps, runWorkflow } from '../workflows.js';

/**
 * Issue 12: the per-step overhead stays within one raw commit of the same run. (Issue 1 had asked for
 * 2×; the bench printed that target until this stop, which read as met at 1.25-1.34×.) One commit is
 * also the floor: a step's result is committed before the next step starts (a step that ran is never
 * lost, and the next never runs under a lease the first had already lost), so the detail prints what
 * a step costs beyond its own commit.
 */
const RATIO_TARGET = 1;

export const stepOverhead: Section = {
  id: 'steps',
  title: '10-step workflow, sequential',
  requires: ['baseline'],
  async run(ctx) {
    const samples = await sampleInterleaved(
      { one: () => runWorkflow(ctx, benchOneStep), ten: () => runWorkflow(ctx, benchTenSteps) },
      { warmup: scaled(ctx, 200), iterations: scaled(ctx, 300), budgetMs: 25_000 }, // warm: see wf1
    );
    const ten = summarize(samples.ten);
    const one = summarize(samples.one);
    const baseline = ctx.metrics.get('baseline.p50')!;
    const perStep = (ten.p50 - one.p50) / 9;
    ctx.metrics.set('wf10.p50', ten.p50);
    ctx.metrics.set('step.overhead', perStep);
    ctx.metrics.set('step.ratio', perStep / baseline);
    const target = ctx.backend.id === 'postgres' ? { text: `≤ ${RATIO_TARGET}× baseline`, met: perStep / baseline <= RATIO_TARGET } : undefined;
    return [
      { metric: 'p50 / p99', value: `${ms(ten.p50)} / ${ms(ten.p99)} ms`, detail: `n=${ten.n}, mean ${ms(ten.mean)} ms` },
      {
        metric: 'per-step overhead',
        value: `${ms(perStep)} ms = ${ratio(perStep / baseline)} baseline commit`,
        detail:
          `(p50 10-step − p50 1-step) / 9, 1-step p50 ${ms(one.p50)} ms in the same interleaved rounds; baseline p50 ${ms(baseline)} ms; ` +
          `beyond the step's own commit (the floor: a step commits before the next one starts) ${ms(perStep - baseline)} ms`,
        target,
      },
    ];
  },
};
