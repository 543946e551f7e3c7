/**
 * `npm run bench`: engine overhead on Postgres and on PGlite, in one run.
 *
 *   npm run bench                                 every section, both backends
 *   npm run bench -- --backend=pglite             one backend
 *   npm run bench -- --section=steps              some sections (plus those they require)
 *   npm run bench -- --help                       the sections; an unknown flag, section or backend exits 2
 *   BENCH_SCALE=0.1 npm run bench                 fewer iterations (smoke run)
 *   DATABASE_URL=postgres://... npm run bench     another Postgres
 *
 * Numbers are printed, never asserted: targets are reported as met or MISSED.
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { BACKENDS } from './backends.js';
import { printBackendTable, printSummary } from './report.js';
import { runBackend } from './run-backend.js';
import { SECTIONS, selectSections } from './sections/index.js';

const USAGE = `usage: npm run bench -- [--section=id,...] [--backend=postgres|pglite] [--help]
  sections: ${SECTIONS.map((s) => s.id).join(', ')} (each also runs those it requires)
  BENCH_SCALE=0.1 fewer iterations; DATABASE_URL another PostgreSQL`;

/** Refused, with the usage, rather than running every section: an unknown flag, a backend or section id. */
function usageError(message: string): never {
  console.error(`bench: ${message}\n${USAGE}`);
  process.exit(2);
}

let flags: { section?: string; backend?: string; help?: boolean };
try {
  flags = parseArgs({ options: { section: { type: 'string' }, backend: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true }).values;
} catch (err) {
  usageError((err as Error).message);
}
if (flags.help) {
  console.log(USAGE);
  process.exit(0);
}
const list = (v: string | undefined) => v?.split(',').filter(Boolean);
let sections: ReturnType<typeof selectSections>;
try {
  sections = selectSections(list(flags.section));
} catch (err) {
  usageError((err as Error).message);
}
const wantedBackends = list(flags.backend);
const unknownBackends = wantedBackends?.filter((id) => !BACKENDS.some((b) => b.id === id)) ?? [];
if (unknownBackends.length > 0) usageError(`unknown backend(s) ${unknownBackends.join(', ')}; known: ${BACKENDS.map((b) => b.id).join(', ')}`);
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
