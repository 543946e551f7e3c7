/**
 * The workflows the sections time. The activity does no work, so what is measured is the engine:
 * journaling, claiming, replay bookkeeping and result delivery.
 */
import { MemFlow } from '../src/index.js';
import type { BenchContext } from './section.js';

const acts = MemFlow.workflow.proxyActivities({
  activities: {
    async benchStep(i: number) {
      return i;
    },
  },
});

export async function benchOneStep(): Promise<number> {
  return acts.benchStep(1);
}

export async function benchTenSteps(): Promise<number> {
  let sum = 0;
  for (let i = 0; i < 10; i++) sum += await acts.benchStep(i);
  return sum;
}

/** Sleeps an hour (the timers section clones its suspended state and moves the due time). */
export async function benchSleeper(): Promise<number> {
  await MemFlow.workflow.sleepFor('1 hour');
  return 1;
}

export const BENCH_WORKFLOWS = [benchOneStep, benchTenSteps, benchSleeper];

/** Register every bench workflow on the context's task queue. */
export async function registerWorkers(ctx: Pick<BenchContext, 'mf' | 'taskQueue'>): Promise<void> {
  for (const workflow of BENCH_WORKFLOWS) await ctx.mf.worker.create({ taskQueue: ctx.taskQueue, workflow });
}

/** Start a workflow and wait for its result: the unit every workflow timing measures. */
export async function runWorkflow(ctx: BenchContext, workflow: (...args: any[]) => unknown, args: unknown[] = []): Promise<unknown> {
  const handle = await ctx.mf.workflow.start({ workflowName: workflow.name, taskQueue: ctx.taskQueue, args });
  return handle.result();
}

