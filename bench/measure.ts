/**
 * The ways a section measures: one operation at a time (latency samples), several operations in
 * interleaved rounds (so a noisy neighbour hits all of them alike, which matters when numbers are
 * subtracted or divided), or a fixed amount of work spread over N concurrent lanes (throughput).
 * All warm up first and respect a time budget, so a pathological backend shortens a section instead
 * of stalling the whole run.
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
  return (await sampleInterleaved({ op }, plan)).op!;
}

/** Like sampleSequential, for several named operations run one after another in each round. */
export async function sampleInterleaved<K extends string>(
  ops: Record<K, () => Promise<unknown>>,
  plan: SequentialPlan,
): Promise<Record<K, number[]>> {
  const entries = Object.entries(ops) as Array<[K, () => Promise<unknown>]>;
  for (let i = 0; i < plan.warmup; i++) for (const [, op] of entries) await op();
  const samples = Object.fromEntries(entries.map(([k]) => [k, [] as number[]])) as Record<K, number[]>;
  const deadline = performance.now() + plan.budgetMs;
  for (let i = 0; i < plan.iterations && performance.now() < deadline; i++) {
    for (const [key, op] of entries) {
      const t0 = performance.now();
      await op();
      samples[key].push(performance.now() - t0);
    }
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
  /** CPU time (user + system) this process spent during the timed part. */
  cpuMs: number;
}

/** Keep `inFlight` operations running until `total` completed (or the budget ran out). */
export async function runConcurrent(op: () => Promise<unknown>, plan: ConcurrentPlan): Promise<Throughput> {
  await lanes(op, plan.inFlight, plan.warmup, Number.POSITIVE_INFINITY);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const latencies = await lanes(op, plan.inFlight, plan.total, t0 + plan.budgetMs);
  const elapsedMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return {
    completed: latencies.length,
    elapsedMs,
    perSecond: (latencies.length * 1000) / elapsedMs,
    latencies,
    cpuMs: (cpu.user + cpu.system) / 1000,
  };
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
