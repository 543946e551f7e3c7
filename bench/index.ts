/**
 * `npm run bench`: engine overhead on Postgres and on PGlite, in one run.
 *
 *   npm run bench                                 every section, both backends
 *   npm run bench -- --backend=pglite             one backend
 *   npm run bench -- --section=steps              some sections (plus those they require)
 *   BENCH_SCALE=0.1 npm run bench                 fewer iterations (smoke run)
 *   DATABASE_URL=postgres://... npm run bench     another Postgres
 *
 * Numbers are printed, never asserted: targets are reported as met or MISSED.
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { BACKENDS } from './backends.js';
import { printBackendTable, printSummary } from './report.js';
import { runBackend } from './run-backend.js';
import { selectSections } from './sections/index.js';

function option(name: string): string[] | undefined {
  const arg = process.argv.slice(2).find((a) => a.startsWith(`--${name}=`));
  return arg?.slice(name.length + 3).split(',').filter(Boolean);
}

const sections = selectSections(option('section'));
const wantedBackends = option('backend');
const backends = BACKENDS.filter((b) => !wantedBackends || wantedBackends.includes(b.id));
const scale = Number(process.env.BENCH_SCALE ?? 1);

console.log(
  `hotmesh bench: node ${process.version}, ${os.cpus().length}× ${os.cpus()[0]?.model.trim() ?? 'cpu'}, ` +
    `sections ${sections.map((s) => s.id).join(',')}, scale ${scale}`,
);
const started = performance.now();
const runs = [];
for (const backend of backends) {
  const run = await runBackend(backend, sections, scale);
  printBackendTable(backend, run.appId, run.results);
  runs.push({ backend, metrics: run.metrics });
}
printSummary(runs);
console.log(`\ntotal ${((performance.now() - started) / 1000).toFixed(1)} s`);
