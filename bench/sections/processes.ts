/**
 * Scale-out on one database (issue 12, NOTIFY pressure): the 1-step workflow served by 1 and by 4
 * worker processes, started and awaited by this process (which serves nothing on that queue), 64 in
 * flight. Every start then NOTIFYs the topic (no local worker takes it) and every finish NOTIFYs
 * `done:` (the job was started by another engine): the shape of a fleet, with its messages. On a
 * 2-core machine four processes compete for the same cores as PostgreSQL; the figure to read is the
 * ratio, and that nothing stalls or is lost. PostgreSQL only (PGlite serves one process).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { DATABASE_URL } from '../backends.js';
import { runConcurrent } from '../measure.js';
import { type BenchContext, type Row, scaled, type Section } from '../section.js';
import { ms, summarize } from '../stats.js';
import { benchOneStep } from '../workflows.js';

const SCRIPT = new URL('../worker-process.ts', import.meta.url).pathname;

async function spawnWorkers(n: number, appId: string, taskQueue: string): Promise<ChildProcess[]> {
  const children = Array.from({ length: n }, () =>
    fork(SCRIPT, [appId, DATABASE_URL, taskQueue], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
  );
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve, reject) => {
          child.once('message', () => resolve());
          child.once('exit', (code) => reject(new Error(`worker process exited with ${code} before it was ready`)));
        }),
    ),
  );
  return children;
}

async function stopWorkers(children: ChildProcess[]): Promise<void> {
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
          child.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          child.send('stop');
        }),
    ),
  );
}

/** Transactions committed in the database so far (every client's: run on a quiet database). */
async function commits(ctx: BenchContext): Promise<number> {
  const res = (await ctx.raw.query(`SELECT xact_commit::text AS n FROM pg_stat_database WHERE datname = current_database()`)) as { rows: Array<{ n: string }> };
  return Number(res.rows[0]!.n);
}

async function measure(ctx: BenchContext, processes: number): Promise<Row> {
  const taskQueue = `procs-${processes}`;
  const children = await spawnWorkers(processes, ctx.appId, taskQueue);
  try {
    const commits0 = await commits(ctx);
    const t = await runConcurrent(
      async () => (await ctx.mf.workflow.start({ workflowName: benchOneStep.name, taskQueue, args: [] })).result(),
      { inFlight: 64, warmup: scaled(ctx, 200), total: scaled(ctx, 3000), budgetMs: 20_000 },
    );
    await new Promise((r) => setTimeout(r, 1100)); // backends report their counters at most once a second
    const perWorkflow = ((await commits(ctx)) - commits0) / t.completed;
    const lat = summarize(t.latencies);
    ctx.metrics.set(`procs.${processes}`, t.perSecond);
    const one = ctx.metrics.get('procs.1');
    return {
      metric: `${processes} worker process${processes === 1 ? '' : 'es'}`,
      value: `${t.perSecond.toFixed(0)} workflows/s`,
      detail:
        `${t.completed} in ${(t.elapsedMs / 1000).toFixed(2)} s, 64 in flight; latency p50 ${ms(lat.p50)} / p99 ${ms(lat.p99)} ms; ` +
        `${perWorkflow.toFixed(2)} commits/workflow (database-wide, empty claims included)` +
        (processes > 1 && one ? `; ${(t.perSecond / one).toFixed(2)}× one process, same run` : ''),
    };
  } finally {
    await stopWorkers(children);
  }
}

export const processes: Section = {
  id: 'procs',
  title: '1-step workflow, worker processes on one database',
  async run(ctx) {
    if (ctx.backend.id !== 'postgres') return [{ metric: 'skipped', value: 'PostgreSQL only', detail: 'PGlite serves one process' }];
    return [await measure(ctx, 1), await measure(ctx, 4)];
  },
};
