/**
 * `--section=scale`: a million finished jobs must not slow the hot path (issue 12: the 1-step p50 and
 * the throughput within 10% of an empty database). Two scratch apps run side by side with the same
 * workers: one empty, one filled with finished jobs (each with its main thread, a journal row, a
 * context and its log row, and a search field: generate_series, one statement per table). Both are
 * sampled in interleaved rounds, so a busier machine hits both alike; what is reported is the ratio.
 */
import { quoteIdentifier } from '../../src/storage/sql-identifier.js';
import { runConcurrent, sampleInterleaved, type Throughput } from '../measure.js';
import { fillScript, type ScratchApp, withScratchApp } from '../scratch-app.js';
import { type BenchContext, scaled, type Section } from '../section.js';
import { ms, ratio, summarize } from '../stats.js';
import { benchOneStep, registerWorkers, runWorkflow } from '../workflows.js';

const JOBS = 1_000_000;
const TOLERANCE = 1.1;

/** `n` finished 1-step jobs, as the engine leaves them (status, output, thread, journal, context, log, search). */
export async function fillFinishedJobs(app: ScratchApp, n: number): Promise<void> {
  const s = quoteIdentifier(app.schema);
  const ids = `FROM generate_series(1, ${n}) i`;
  const run = fillScript(app);
  await run(`INSERT INTO ${s}.jobs (id, workflow_name, task_queue, status, input, output, context, context_version,
                                    created_at, updated_at, completed_at)
             SELECT 'old-' || i, 'benchOneStep', 'bench', 'completed', '[1]', '1',
                    jsonb_build_object('customer', 'c' || (i % 5000), 'total', i, 'tags', jsonb_build_array('a', 'b')), 1,
                    now() - interval '30 days' + i * interval '1 ms', now(), now() ${ids}`);
  await run(`INSERT INTO ${s}.threads (job_id, thread, workflow_name, task_queue, args, status, output, completed_at)
             SELECT 'old-' || i, 'main', 'benchOneStep', 'bench', '[1]', 'completed', '1', now() ${ids}`);
  await run(`INSERT INTO ${s}.journal (job_id, thread, seq, kind, name, status, result, batch)
             SELECT 'old-' || i, 'main', 1, 'activity', 'benchStep', 'done', '1', 1 ${ids}`);
  await run(`INSERT INTO ${s}.context_log (job_id, version, op, path, arg, actor)
             SELECT 'old-' || i, 1, 'set', '{}', jsonb_build_object('customer', 'c' || (i % 5000)), 'bench' ${ids}`);
  await run(`INSERT INTO ${s}.jobs_attributes (job_id, field, value) SELECT 'old-' || i, '_customer', 'c' || (i % 5000) ${ids}`);
  await run(`ANALYZE ${s}.jobs, ${s}.threads, ${s}.journal, ${s}.context_log, ${s}.jobs_attributes`);
}

export const scale: Section = {
  id: 'scale',
  title: 'a million finished jobs vs empty',
  async run(ctx: BenchContext) {
    const n = Math.max(1000, Math.round((ctx.backend.id === 'postgres' ? JOBS : JOBS / 10) * Math.min(1, ctx.scale)));
    return withScratchApp(ctx, 'bench-empty', (empty) =>
      withScratchApp(ctx, 'bench-full', async (full) => {
        const t0 = performance.now();
        await fillFinishedJobs(full, n);
        const fillS = (performance.now() - t0) / 1000;
        const on = (app: ScratchApp): BenchContext => ({ ...ctx, appId: app.appId, schema: app.schema, mf: app.mf, engine: app.engine });
        const e = on(empty);
        const f = on(full);
        await registerWorkers(e);
        await registerWorkers(f);
        const lat = await sampleInterleaved(
          { empty: () => runWorkflow(e, benchOneStep), full: () => runWorkflow(f, benchOneStep) },
          { warmup: scaled(ctx, 30), iterations: scaled(ctx, 400), budgetMs: 20_000 },
        );
        const pe = summarize(lat.empty).p50;
        const pf = summarize(lat.full).p50;
        // throughput at 16 in flight, alternating rounds
        const plan = { inFlight: 16, warmup: 32, total: scaled(ctx, 1000), budgetMs: 8_000 };
        const sum = { empty: { done: 0, ms: 0 }, full: { done: 0, ms: 0 } };
        const add = (k: 'empty' | 'full', t: Throughput) => ((sum[k].done += t.completed), (sum[k].ms += t.elapsedMs));
        for (let round = 0; round < 2; round++) {
          add('empty', await runConcurrent(() => runWorkflow(e, benchOneStep), plan));
          add('full', await runConcurrent(() => runWorkflow(f, benchOneStep), plan));
        }
        const te = (sum.empty.done * 1000) / sum.empty.ms;
        const tf = (sum.full.done * 1000) / sum.full.ms;
        ctx.metrics.set('scale.p50Ratio', pf / pe);
        ctx.metrics.set('scale.throughputRatio', te / tf);
        const within = (r: number) => ({ text: `within ${Math.round((TOLERANCE - 1) * 100)}% of empty`, met: r <= TOLERANCE });
        return [
          { metric: 'filled', value: `${n.toLocaleString('en')} finished jobs`, detail: `5 tables by generate_series in ${fillS.toFixed(1)} s` },
          { metric: '1-step p50', value: `${ms(pf)} vs ${ms(pe)} ms = ${ratio(pf / pe)}`, target: within(pf / pe), detail: `full vs empty, interleaved, n=${lat.full.length}` },
          {
            metric: 'throughput @16',
            value: `${tf.toFixed(0)} vs ${te.toFixed(0)} workflows/s = ${ratio(te / tf)}`,
            target: within(te / tf),
            detail: `full vs empty, 2 alternating rounds each; the ratio is empty ÷ full (above 1: the full one is slower)`,
          },
        ];
      }),
    );
  },
};
