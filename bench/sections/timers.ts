/**
 * 10,000 timers due at the same instant (issue 12: all fire within 5 s). One workflow is run until it
 * sleeps, for real; its suspended state (job, main thread, journal row of the sleep, task) is then
 * cloned 9,999 times in SQL and every due time set to the same instant, a few seconds ahead. Fired
 * means the workflow went on past its sleep and finished: measured from the instant to the last
 * completion. Like the first, the clones count as started by this process (jobs.origin), so their
 * finishes send no `done:` NOTIFY (nobody elsewhere waits: migration 0047). The worker is the run's own kind (default concurrency, one process); it learns of the
 * clones by polling, as it would of timers set by another process or before a restart.
 */
import { quoteIdentifier } from '../../src/storage/sql-identifier.js';
import { NAMED_QUERIES } from '../../src/sql/queries/index.js';
import { withScratchApp } from '../scratch-app.js';
import { type BenchContext, type Section } from '../section.js';
import { benchSleeper, registerWorkers } from '../workflows.js';
import { tallyQueries } from './round-trips.js';

const TIMERS = 10_000;
const TARGET_S = 5;
const LEAD_MS = 3000;

export const timers: Section = {
  id: 'timers',
  title: `${TIMERS / 1000}k timers due at one instant`,
  async run(ctx: BenchContext) {
    const n = Math.max(100, Math.round((ctx.backend.id === 'postgres' ? TIMERS : TIMERS / 5) * Math.min(1, ctx.scale)));
    return withScratchApp(ctx, 'bench-timers', async (app) => {
      await registerWorkers({ mf: app.mf, taskQueue: ctx.taskQueue });
      const s = quoteIdentifier(app.schema);
      const sql = <R>(text: string, params?: unknown[]) => app.engine.driver.query<R>(text, params);
      const first = await app.mf.workflow.start({ workflowName: benchSleeper.name, taskQueue: ctx.taskQueue, workflowId: 'timer-0' });
      for (let i = 0; ; i++) {
        const r = await sql(`SELECT 1 FROM ${s}.tasks WHERE job_id = 'timer-0' AND lease_owner IS NULL AND run_at > now() + interval '10 minutes'`);
        if (r.rows.length > 0) break;
        if (i > 500) throw new Error('the first sleeper never suspended');
        await new Promise((r) => setTimeout(r, 20));
      }
      const clone = `SELECT 'timer-' || i AS id FROM generate_series(1, ${n - 1}) i`;
      // origin: the clones were started by this process too, as the first was (migration 0047)
      await sql(`INSERT INTO ${s}.jobs (id, workflow_name, task_queue, status, input, options, origin)
                 SELECT c.id, j.workflow_name, j.task_queue, j.status, j.input, j.options, j.origin FROM (${clone}) c, ${s}.jobs j WHERE j.id = 'timer-0'`);
      await sql(`INSERT INTO ${s}.threads (job_id, thread, workflow_name, task_queue, args)
                 SELECT c.id, t.thread, t.workflow_name, t.task_queue, t.args FROM (${clone}) c, ${s}.threads t WHERE t.job_id = 'timer-0'`);
      await sql(`INSERT INTO ${s}.journal (job_id, thread, seq, kind, name, status, result, attempt, batch, due_at)
                 SELECT c.id, r.thread, r.seq, r.kind, r.name, r.status, r.result, r.attempt, r.batch, r.due_at
                   FROM (${clone}) c, ${s}.journal r WHERE r.job_id = 'timer-0'`);
      await sql(`INSERT INTO ${s}.tasks (job_id, thread, seq, kind, topic, run_at, claims, wakeups)
                 SELECT c.id, t.thread, t.seq, t.kind, t.topic, t.run_at, t.claims, t.wakeups FROM (${clone}) c, ${s}.tasks t WHERE t.job_id = 'timer-0'`);
      await sql(`ANALYZE ${s}.jobs, ${s}.threads, ${s}.journal, ${s}.tasks`);
      // every sleep due at one instant, LEAD_MS ahead (database clock)
      const due = await sql<{ at: number }>(
        `WITH t AS (SELECT now() + make_interval(secs => $1::float8 / 1000) AS at),
              j AS (UPDATE ${s}.journal SET due_at = (SELECT at FROM t) WHERE kind = 'sleep'),
              k AS (UPDATE ${s}.tasks SET run_at = (SELECT at FROM t) WHERE lease_owner IS NULL)
         SELECT (extract(epoch FROM at) * 1000)::float8 AS at FROM t`,
        [LEAD_MS],
      );
      const dueAt = Number(due.rows[0]!.at);
      let last = { done: 0, at: 0 };
      const deadline = Date.now() + LEAD_MS + 60_000;
      let firstAt: number | undefined;
      const names = new Map(Object.entries(NAMED_QUERIES).map(([name, query]) => [app.engine.bind(query).text, name]));
      const cpu0 = process.cpuUsage();
      const tallies = await tallyQueries(app.engine.driver, names, async () => {
      while (Date.now() < deadline) {
        const r = await sql<{ done: number; last: number | null; first: number | null }>(
          `SELECT count(*)::int AS done, (extract(epoch FROM max(completed_at)) * 1000)::float8 AS last,
                  (extract(epoch FROM min(completed_at)) * 1000)::float8 AS first
             FROM ${s}.jobs WHERE status = 'completed'`,
        );
        const row = r.rows[0]!;
        if (row.first !== null) firstAt = Number(row.first);
        last = { done: row.done, at: Number(row.last ?? 0) };
        if (row.done >= n) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      });
      const cpu = process.cpuUsage(cpu0);
      // the engine's statements per fired timer (the section's own progress query, 'other', left out)
      tallies.delete('other');
      const perTimer = [...tallies.entries()]
        .sort((a, b) => b[1].count - a[1].count)
        .map(([name, t]) => `${name} ${(t.count / n).toFixed(2)}`)
        .join(', ');
      await first.result();
      const spreadS = (last.at - dueAt) / 1000;
      ctx.metrics.set('timers.lastS', spreadS);
      return [
        {
          metric: 'all fired',
          value: last.done >= n ? `${spreadS.toFixed(2)} s after the instant` : `${last.done} of ${n} in 60 s`,
          target: ctx.backend.id === 'postgres' ? { text: `≤ ${TARGET_S} s`, met: last.done >= n && spreadS <= TARGET_S } : undefined,
          detail: `${n} workflows sleeping until one instant; first done ${firstAt === undefined ? 'n/a' : `${((firstAt - dueAt) / 1000).toFixed(2)} s`} after it; ${(n / Math.max(0.001, spreadS)).toFixed(0)} workflows/s; statements per timer: ${perTimer}; this process ${((cpu.user + cpu.system) / 1000 / n).toFixed(3)} ms CPU/timer (from ${LEAD_MS / 1000} s before the instant)`,
        },
      ];
    });
  },
};
