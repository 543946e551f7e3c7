/**
 * The section registry: every section, in the order a run executes them. Add a section by writing
 * one file that exports a `Section` and listing it here (ids are what `--section=` selects).
 */
import type { Section } from '../section.js';
import { baselineCommit } from './baseline-commit.js';
import { claimBacklog } from './claim-backlog.js';
import { contextOps } from './context-ops.js';
import { listJobs } from './list-jobs.js';
import { oneStepLatency } from './one-step-latency.js';
import { oneStepThroughput } from './one-step-throughput.js';
import { processes } from './processes.js';
import { roundTrips } from './round-trips.js';
import { scale } from './scale.js';
import { stepOverhead } from './step-overhead.js';
import { timers } from './timers.js';

export const SECTIONS: Section[] = [baselineCommit, oneStepLatency, oneStepThroughput, processes, stepOverhead, contextOps, roundTrips, claimBacklog, timers, scale, listJobs];

/** The sections named on the command line (all when none is) plus those they require, in registry order. */
export function selectSections(ids: string[] | undefined): Section[] {
  if (!ids || ids.length === 0) return SECTIONS;
  const byId = new Map(SECTIONS.map((s) => [s.id, s]));
  const unknown = ids.filter((id) => !byId.has(id));
  if (unknown.length) throw new Error(`unknown section(s) ${unknown.join(', ')}; known: ${[...byId.keys()].join(', ')}`);
  const wanted = new Set<string>();
  const add = (id: string): void => {
    if (wanted.has(id)) return;
    wanted.add(id);
    byId.get(id)?.requires?.forEach(add);
  };
  ids.forEach(add);
  return SECTIONS.filter((s) => wanted.has(s.id));
}
