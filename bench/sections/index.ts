/**
 * The section registry: every section, in the order a run executes them. Add a section by writing
 * one file that exports a `Section` and listing it here (ids are what `--section=` selects).
 */
import type { Section } from '../section.js';
import { baselineCommit } from './baseline-commit.js';
import { oneStepLatency } from './one-step-latency.js';
import { oneStepThroughput } from './one-step-throughput.js';
import { roundTrips } from './round-trips.js';
import { stepOverhead } from './step-overhead.js';

export const SECTIONS: Section[] = [baselineCommit, oneStepLatency, oneStepThroughput, stepOverhead, roundTrips];

/** The sections named on the command line (all of them when none is), in registry order. */
export function selectSections(ids: string[] | undefined): Section[] {
  if (!ids || ids.length === 0) return SECTIONS;
  const unknown = ids.filter((id) => !SECTIONS.some((s) => s.id === id));
  if (unknown.length) throw new Error(`unknown section(s) ${unknown.join(', ')}; known: ${SECTIONS.map((s) => s.id).join(', ')}`);
  return SECTIONS.filter((s) => ids.includes(s.id));
}
