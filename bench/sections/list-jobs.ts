/**
 * `client.workflow.list` with filters at 1M jobs (issue 8: under 10 ms p50). The jobs are made by SQL
 * (generate_series) in the bench app's schema, shaped like a busy app: 10 workflow names, 4 task
 * queues, mostly completed, some running (half of them waiting), failed, parked, interrupted, one
 * search field on 10% of them, one created every second going back. Each case is one page of 50.
 */
import { quoteIdentifier } from '../../src/storage/sql-identifier.js';
import type { ListOptions } from '../../src/index.js';
import { sampleSequential } from '../measure.js';
import { type BenchContext, type Row, scaled, type Section } from '../section.js';
import { ms, summarize } from '../stats.js';

const JOBS = 1_000_000;
const TARGET_MS = 10;

export async function fill(ctx: BenchContext, n: number): Promise<void> {
  const s = quoteIdentifier(ctx.schema);
  await ctx.raw.query(`
    INSERT INTO ${s}.jobs (id, workflow_name, task_queue, status, entity, created_at, updated_at, completed_at)
    SELECT 'bl-' || i, 'flow' || (i / 13 % 10), 'queue' || (i / 7 % 4),
           CASE WHEN i % 100 < 80 THEN 'completed' WHEN i % 100 < 90 THEN 'running' WHEN i % 100 < 95 THEN 'failed'
                WHEN i % 100 < 98 THEN 'parked' ELSE 'interrupted' END,
           CASE WHEN i % 7 = 0 THEN 'order' END,
           now() - make_interval(secs => i), now() - make_interval(secs => i),
           CASE WHEN i % 100 < 80 THEN now() - make_interval(secs => i) END
      FROM generate_series(1, ${Number(n)}) AS i`);
  // running jobs: the main thread's task, two in three waiting (a signal: never due; a timer), one in three due now
  await ctx.raw.query(`
    INSERT INTO ${s}.tasks (job_id, thread, kind, topic, run_at)
    SELECT 'bl-' || i, 'main', 'thread', 'queue' || (i / 7 % 4) || '-flow' || (i / 13 % 10),
           CASE WHEN i % 3 = 0 THEN now() - interval '1 second' WHEN i % 2 = 0 THEN 'infinity'::timestamptz
                ELSE now() + interval '1 hour' END
      FROM generate_series(1, ${Number(n)}) AS i WHERE i % 100 >= 80 AND i % 100 < 90`);
  await ctx.raw.query(`
    INSERT INTO ${s}.jobs_attributes (job_id, field, value)
    SELECT 'bl-' || i, '_customer', 'c' || (i / 10 % 1000) FROM generate_series(1, ${Number(n)}) AS i WHERE i % 10 = 0`);
  await ctx.raw.query(`ANALYZE ${s}.jobs`);
  await ctx.raw.query(`ANALYZE ${s}.tasks`);
  await ctx.raw.query(`ANALYZE ${s}.jobs_attributes`);
}

export const listJobs: Section = {
  id: 'list',
  title: 'workflow.list with filters at 1M jobs',
  async run(ctx) {
    const n = Math.max(10_000, Math.round(JOBS * ctx.scale));
    const t0 = performance.now();
    await fill(ctx, n);
    const fillSeconds = (performance.now() - t0) / 1000;
    const hourAgo = new Date(Date.now() - 3_600_000).toISOString();
    let deepCursor: string | undefined;
    for (let i = 0; i < 20; i++) deepCursor = (await ctx.mf.workflow.list({ limit: 50, cursor: deepCursor })).nextCursor ?? undefined;
    const cases: Array<[string, ListOptions]> = [
      ['no filter', {}],
      ['status failed', { status: 'failed' }],
      ['status waiting', { status: 'waiting' }],
      ['status running', { status: 'running' }],
      ['workflowName', { workflowName: 'flow3' }],
      ['workflowName + status', { workflowName: 'flow3', status: 'parked' }],
      ['taskQueue + createdBefore', { taskQueue: 'queue1', createdBefore: hourAgo }],
      ['entity', { entity: 'order' }],
      ['search field', { search: { customer: 'c10' } }],
      ['idPrefix', { idPrefix: 'bl-99' }],
      ['page 21 (cursor)', { cursor: deepCursor }],
    ];
    const rows: Row[] = [{ metric: 'jobs in the app', value: n.toLocaleString('en'), detail: `filled in ${fillSeconds.toFixed(1)} s` }];
    const plan = { warmup: scaled(ctx, 5, 2), iterations: scaled(ctx, 60, 10), budgetMs: 20_000 };
    for (const [name, options] of cases) {
      let items = 0;
      const samples = await sampleSequential(async () => {
        items = (await ctx.mf.workflow.list({ limit: 50, ...options })).items.length;
      }, plan);
      const s = summarize(samples);
      rows.push({
        metric: `list, ${name}`,
        value: `${ms(s.p50)} p50`,
        detail: `p99 ${ms(s.p99)}, ${items} items, n=${s.n}`,
        target: { text: `< ${TARGET_MS} ms p50`, met: s.p50 < TARGET_MS },
      });
    }
    return rows;
  },
};
