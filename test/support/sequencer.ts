/**
 * The order the suite's files start in, planned from the durations of an earlier full run
 * (test/support/durations.json, written by scripts/test-durations.mjs), across both projects.
 *
 * On a fresh checkout vitest has no durations of its own: it ran the pglite project, then the
 * postgres one, each by file size, so the 140 s chaos file could start late and run on alone at the
 * end. Plain longest-first is no better: the longest files are the ones that run processes (the chaos
 * run, 16 context writers, the CLI, kill -9 fault tests), and beside the chaos run on two cores they
 * starve it (a chaos worker missed its shutdown grace that way). So the plan is a list schedule over
 * the suite's workers: each free worker takes the longest file left that may start. The chaos run
 * shares the machine with plain files only (no other file that runs processes starts while it runs,
 * and it starts when none runs), and at most two of the other files that run processes run at once
 * (three at once, one of them the 16 context writers, left a fault test's child process 45 s without
 * loading). Files with no recorded duration (new ones) are planned first, as plain files of 10 s.
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const durations: Record<string, number> = JSON.parse(readFileSync(new URL('./durations.json', import.meta.url), 'utf8'));
/** Files that run processes of their own (or a browser, or a database cluster)... */
const HEAVY = /chaos-short|context-concurrency|cli|dashboard|fault\/|readme-promises-crash/;
/** ... for this long at least (the short ones are plain files here). */
const HEAVY_MS = 20_000;
/** The file that runs beside plain files only. */
const ALONE = /chaos-short/;
/** At most this many heavy files at once. */
const HEAVY_AT_ONCE = 2;
const UNKNOWN_MS = 10_000;

interface Planned {
  spec: TestSpecification;
  ms: number;
  kind: 'plain' | 'heavy' | 'alone';
  known: boolean;
}

export class PlannedOrder extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const root = this.ctx.config.root;
    const left: Planned[] = files.map((spec) => {
      const path = relative(root, spec.moduleId);
      const ms = durations[`${spec.project.name}:${path}`];
      const kind = ms === undefined || ms < HEAVY_MS || !HEAVY.test(path) ? 'plain' : ALONE.test(path) ? 'alone' : 'heavy';
      return { spec, ms: ms ?? UNKNOWN_MS, kind, known: ms !== undefined };
    });
    // unknown first, then the longest; ties by path, so the plan is the same on every machine
    left.sort((a, b) => Number(a.known) - Number(b.known) || b.ms - a.ms || (a.spec.moduleId < b.spec.moduleId ? -1 : 1));
    const freeAt: number[] = Array.from({ length: Number(this.ctx.config.maxWorkers) || 1 }, () => 0);
    let aloneUntil = 0; // when the file that runs alone ends
    let heavyEnds: number[] = []; // when the running heavy files end
    const order: TestSpecification[] = [];
    while (left.length > 0) {
      const now = Math.min(...freeAt);
      const slot = freeAt.indexOf(now);
      heavyEnds = heavyEnds.filter((t) => t > now);
      const mayStart = (f: Planned) =>
        f.kind === 'plain' || (f.kind === 'heavy' ? aloneUntil <= now && heavyEnds.length < HEAVY_AT_ONCE : heavyEnds.length === 0);
      const i = left.findIndex(mayStart);
      if (i < 0) {
        // only files that must wait are left: this worker waits for the next end
        freeAt[slot] = Math.min(...[aloneUntil, ...heavyEnds].filter((t) => t > now));
        continue;
      }
      const [next] = left.splice(i, 1);
      order.push(next!.spec);
      freeAt[slot] = now + next!.ms;
      if (next!.kind === 'alone') aloneUntil = now + next!.ms;
      if (next!.kind === 'heavy') heavyEnds.push(now + next!.ms);
    }
    return order;
  }
}
