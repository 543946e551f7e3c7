/**
 * A claim of 16 with 200,000 ready tasks waiting (issue 12: "flat under backlog"). A scratch app gets
 * the backlog (jobs, threads and tasks filled by generate_series) on a topic no worker serves; the
 * claim statement the task loop runs is then timed, one claim after another, for the two topics a
 * worker serves per workflow (`<queue>-<name>` and its `-activity` topic). Before migration 0033 a
 * claim sorted every ready row: 150 ms at this backlog.
 */
import { claimTasks } from '../../src/sql/queries/tasks.js';
import { quoteIdentifier } from '../../src/storage/sql-identifier.js';
import { sampleSequential } from '../measure.js';
import { fillScript, withScratchApp } from '../scratch-app.js';
import { type BenchContext, scaled, type Section } from '../section.js';
import { ms, summarize } from '../stats.js';

const BACKLOG = 200_000;
const BATCH = 16;
const P50_TARGET_MS = 2;

/** `n` ready jobs on `topic` (their main threads and tasks), oldest first. */
export async function fillBacklog(query: (sql: string) => Promise<unknown>, schema: string, topic: string, n: number): Promise<void> {
  const s = quoteIdentifier(schema);
  await query(`INSERT INTO ${s}.jobs (id, workflow_name, task_queue) SELECT 'backlog-' || i, 'backlogged', 'bench' FROM generate_series(1, ${n}) i`);
  await query(`INSERT INTO ${s}.threads (job_id, thread, workflow_name, task_queue) SELECT 'backlog-' || i, 'main', 'backlogged', 'bench' FROM generate_series(1, ${n}) i`);
  await query(
    `INSERT INTO ${s}.tasks (job_id, thread, kind, topic, run_at)
     SELECT 'backlog-' || i, 'main', 'thread', '${topic}', now() - interval '1 hour' + i * interval '1 ms' FROM generate_series(1, ${n}) i`,
  );
  await query(`ANALYZE ${s}.jobs, ${s}.threads, ${s}.tasks`);
}

export const claimBacklog: Section = {
  id: 'claims',
  title: `claim of ${BATCH}, ${BACKLOG / 1000}k ready tasks`, // (PGlite: 50k)
  async run(ctx: BenchContext) {
    // PGlite (in-process, targets after Postgres's): a quarter of the backlog, so the fill stays short
    const backlog = Math.max(BATCH * 100, Math.round((ctx.backend.id === 'postgres' ? BACKLOG : BACKLOG / 4) * Math.min(1, ctx.scale)));
    return withScratchApp(ctx, 'bench-claims', async (app) => {
      const topic = 'bench-backlogged';
      const t0 = performance.now();
      await fillBacklog(fillScript(app), app.schema, topic, backlog);
      const fillMs = performance.now() - t0;
      const params = { owner: 'bench-claimer', leaseSeconds: 30, topics: [topic, `${topic}-activity`], limit: BATCH };
      let claimed = 0;
      const samples = await sampleSequential(
        async () => {
          claimed += (await app.engine.query(claimTasks, params)).rows.length;
        },
        { warmup: scaled(ctx, 20), iterations: scaled(ctx, 300), budgetMs: 15_000 },
      );
      const s = summarize(samples);
      ctx.metrics.set('claims.p50', s.p50);
      const target = ctx.backend.id === 'postgres' ? { text: `p50 < ${P50_TARGET_MS} ms`, met: s.p50 < P50_TARGET_MS && claimed > 0 } : undefined;
      return [
        {
          metric: 'p50 / p99',
          value: `${ms(s.p50)} / ${ms(s.p99)} ms`,
          target,
          detail: `n=${s.n}, ${claimed} tasks claimed (${(claimed / (s.n + scaled(ctx, 20))).toFixed(1)} per claim) from ${backlog} ready; backlog filled in ${(fillMs / 1000).toFixed(1)} s`,
        },
      ];
    });
  },
};
