/**
 * A 10-step workflow (ten sequential inline activities) against the 1-step workflow and the baseline
 * commit, sampled in interleaved rounds so the three see the same machine. What one more step costs:
 * (p50 10-step − p50 1-step) / 9, compared with the baseline commit's p50 from the same rounds.
 */
import { sampleInterleaved } from '../measure.js';
import { scaled, type Section } from '../section.js';
import { ms, ratio, summarize } from '../stats.js';
import { benchOneStep, benchTenSteps, runWorkflow } from '../workflows.js';
import { baselineInsert } from './baseline-commit.js';

const RATIO_TARGET = 2;

export const stepOverhead: Section = {
  id: 'steps',
  title: '10-step workflow, sequential',
  async run(ctx) {
    const insert = await baselineInsert(ctx);
    const samples = await sampleInterleaved(
      {
        commit: insert,
        one: () => runWorkflow(ctx, benchOneStep),
        ten: () => runWorkflow(ctx, benchTenSteps),
      },
      { warmup: scaled(ctx, 20), iterations: scaled(ctx, 300), budgetMs: 25_000 },
    );
    const ten = summarize(samples.ten);
    const one = summarize(samples.one);
    const commit = summarize(samples.commit);
    const perStep = (ten.p50 - one.p50) / 9;
    ctx.metrics.set('wf10.p50', ten.p50);
    ctx.metrics.set('step.overhead', perStep);
    ctx.metrics.set('step.ratio', perStep / commit.p50);
    ctx.metrics.set('step.baseline', commit.p50);
    const target =
      ctx.backend.id === 'postgres' ? { text: `≤ ${RATIO_TARGET}× baseline`, met: perStep / commit.p50 <= RATIO_TARGET } : undefined;
    return [
      { metric: 'p50 / p99', value: `${ms(ten.p50)} / ${ms(ten.p99)} ms`, detail: `n=${ten.n}, mean ${ms(ten.mean)} ms` },
      {
        metric: 'per-step overhead',
        value: `${ms(perStep)} ms = ${ratio(perStep / commit.p50)} baseline commit`,
        detail: `(p50 10-step − p50 1-step) / 9, interleaved rounds: 1-step p50 ${ms(one.p50)} ms, baseline commit p50 ${ms(commit.p50)} ms`,
        target,
      },
    ];
  },
};
