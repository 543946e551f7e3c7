/**
 * What a benchmark section is, and what it gets to work with. A section measures one thing on one
 * backend and returns rows for the report; it may publish numbers in `metrics` for later sections
 * (the report prints the baseline commit beside the ratios, which sample their own raw commits).
 */
import type { Engine } from '../src/engine/engine.js';
import type { MemFlowInstance } from '../src/index.js';
import type { Backend, RawSql } from './backends.js';

export interface BenchContext {
  backend: Backend;
  appId: string;
  /** The app's schema (unquoted); sections may create scratch tables in it. */
  schema: string;
  mf: MemFlowInstance;
  engine: Engine;
  /** Raw SQL outside the engine, through the backend's own driver kind (the baselines). */
  raw: RawSql;
  taskQueue: string;
  /** Numbers published by earlier sections of this backend's run, e.g. 'baseline.p50'. */
  metrics: Map<string, number>;
  /** Multiplies iteration counts (BENCH_SCALE; 0.1 for a smoke run). */
  scale: number;
}

export interface Target {
  text: string;
  met: boolean;
}

export interface Row {
  metric: string;
  value: string;
  detail?: string;
  target?: Target;
}

export interface Section {
  /** Used on the command line: `npm run bench -- --section=<id>,<id>`. */
  id: string;
  title: string;
  /** Sections whose metrics this one reads; they run first even when not selected. */
  requires?: string[];
  run(ctx: BenchContext): Promise<Row[]>;
}

/** Scale an iteration count, never below `min`. */
export function scaled(ctx: BenchContext, n: number, min = 5): number {
  return Math.max(min, Math.round(n * ctx.scale));
}
