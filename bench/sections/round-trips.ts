/**
 * Diagnostic: which engine statements one workflow costs, and how long each takes. Counts every
 * statement the engine's driver runs while workflows run one at a time (background polls included,
 * which is the point: they share the connection and the database with the workflow).
 */
import { performance } from 'node:perf_hooks';
import { NAMED_QUERIES } from '../../src/sql/queries/index.js';
import type { Driver } from '../../src/storage/driver.js';
import type { Section } from '../section.js';
import { ms } from '../stats.js';
import { benchOneStep, benchTenSteps, runWorkflow } from '../workflows.js';

const RUNS = 30;
/** Issue 12: at most 4 statements per 1-step workflow (it took 6: two of them result() polling). */
const ONE_STEP_TARGET = 4;

interface Tally {
  count: number;
  totalMs: number;
}

/** Run `body` with every statement on `driver` tallied under the engine's query name. */
export async function tallyQueries(driver: Driver, names: Map<string, string>, body: () => Promise<void>): Promise<Map<string, Tally>> {
  const tallies = new Map<string, Tally>();
  const count = (sql: string, t0: number) => {
    const name = names.get(sql) ?? 'other';
    const t = tallies.get(name) ?? { count: 0, totalMs: 0 };
    t.count++;
    t.totalMs += performance.now() - t0;
    tallies.set(name, t);
  };
  const query = driver.query;
  const named = driver.named;
  (driver as { query: Driver['query'] }).query = async function (this: Driver, sql: string, params?: unknown[]) {
    const t0 = performance.now();
    try {
      return await query.call(this, sql, params);
    } finally {
      count(sql, t0);
    }
  } as Driver['query'];
  // the engine's own statements go through named() (prepared once per connection on pg)
  (driver as { named: Driver['named'] }).named = async function (this: Driver, name: string, sql: string, params: unknown[]) {
    const t0 = performance.now();
    try {
      return await named.call(this, name, sql, params);
    } finally {
      count(sql, t0);
    }
  } as Driver['named'];
  try {
    await body();
  } finally {
    delete (driver as { query?: unknown }).query; // back to the prototype's methods
    delete (driver as { named?: unknown }).named;
  }
  return tallies;
}

export const roundTrips: Section = {
  id: 'trips',
  title: 'statements per workflow',
  async run(ctx) {
    const names = new Map(Object.entries(NAMED_QUERIES).map(([name, query]) => [ctx.engine.bind(query).text, name]));
    const rows = [];
    for (const workflow of [benchOneStep, benchTenSteps]) {
      const tallies = await tallyQueries(ctx.engine.driver, names, async () => {
        for (let i = 0; i < RUNS; i++) await runWorkflow(ctx, workflow);
      });
      const total = [...tallies.values()].reduce((s, t) => s + t.count, 0);
      const detail = [...tallies.entries()]
        .sort((a, b) => b[1].count - a[1].count)
        .map(([name, t]) => `${name} ${(t.count / RUNS).toFixed(2)}×${ms(t.totalMs / t.count)}ms`)
        .join(', ');
      const perRun = total / RUNS;
      if (workflow === benchOneStep) ctx.metrics.set('trips.wf1', perRun);
      const target = workflow === benchOneStep ? { text: `≤ ${ONE_STEP_TARGET}`, met: perRun <= ONE_STEP_TARGET } : undefined;
      rows.push({ metric: workflow.name, value: `${perRun.toFixed(2)} statements`, target, detail: `per run (count×mean): ${detail}` });
    }
    return rows;
  },
};
