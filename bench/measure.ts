/**
 * The two ways a section measures: one operation at a time (latency samples), or a fixed amount of
 * work spread over N concurrent lanes (throughput). Both warm up first and respect a time budget, so
 * a pathological backend shortens a section instead of stalling the whole run.
 */
import { performance } from 'node:perf_hooks';

export interface SequentialPlan {
  warmup: number;
  iterations: number;
  /** Stop sampling after this many ms (the samples taken so far are kept). */
  budgetMs: number;
}

/** Run `op` `warmup` times untimed, then time each of up to `iterations` runs. */
export async function sampleSequential(op: () => Promise<unknown>, plan: SequentialPlan): Promise<number[]> {
  for (let i = 0; i < plan.warmup; i++) await op();
  const samples: number[] = [];
  const deadline = performance.now() + plan.budgetMs;
  for (let i = 0; i < plan.iterations && performance.now() < deadline; i++) {
    const t0 = performance.now();
    await op();
    samples.push(performance.now() - t0);
  }
  return samples;
}

export interface ConcurrentPlan {
  inFlight: number;
  warmup: number;
  total: number;
  budgetMs: number;
}

export interface Throughput {
  completed: number;
  elapsedMs: number;
  perSecond: number;
  /** Per-operation latency while `inFlight` ran at once. */
  latencies: number[];
}

/** Keep `inFlight` operations running until `total` completed (or the budget ran out). */
export async function runConcurrent(op: () => Promise<unknown>, plan: ConcurrentPlan): Promise<Throughput> {
  await lanes(op, plan.inFlight, plan.warmup, Number.POSITIVE_INFINITY);
  const t0 = performance.now();
  const latencies = await lanes(op, plan.inFlight, plan.total, t0 + plan.budgetMs);
  const elapsedMs = performance.now() - t0;
  return { completed: latencies.length, elapsedMs, perSecond: (latencies.length * 1000) / elapsedMs, latencies };
}

async function lanes(op: () => Promise<unknown>, inFlight: number, total: number, deadline: number): Promise<number[]> {
  const latencies: number[] = [];
  let issued = 0;
  const lane = async () => {
    while (issued < total && performance.now() < deadline) {
      issued++;
      const t0 = performance.now();
      await op();
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  return latencies;
}
