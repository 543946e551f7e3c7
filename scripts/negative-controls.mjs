#!/usr/bin/env node
/**
 * Negative controls for the integration oracles: `npm run test:controls [-- --short]`.
 *
 * A green suite is only worth something if a broken engine turns it red. For each known fault below,
 * this script copies the sources to a scratch directory, breaks the copy in exactly one place, runs
 * the test files that guard against that fault, and prints a table. Every control must FAIL its
 * tests: a fault the tests do not notice (or a patch whose anchor text is gone, or tests that fail
 * even without the fault) makes the script exit non-zero.
 *
 *   --short    a couple of faults on their fastest tests (the CI profile)
 *   --keep     keep the scratch copies (to look at a control by hand)
 *
 * The copies share this checkout's node_modules (a symlink) and the test database
 * (HOTMESH_TEST_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test). Each control runs
 * its files in the postgres project; every test file isolates itself with its own app id.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FAULTS } from './negative-controls-faults.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const COPIED = ['src', 'test', 'examples', 'package.json', 'tsconfig.json', 'vitest.config.ts'];

const args = new Set(process.argv.slice(2));
const SHORT = args.has('--short');
const KEEP = args.has('--keep');
const TIMEOUT_MS = SHORT ? 120_000 : 600_000;

/** A scratch copy of the sources, sharing node_modules. */
function scratchCopy(label) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `hotmesh-control-${label}-`));
  for (const entry of COPIED) fs.cpSync(path.join(REPO, entry), path.join(dir, entry), { recursive: true });
  fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  return dir;
}

/**
 * A patch is either a text replacement in one file, or a SQL fault appended as the last migration
 * (`migration`): it redefines a function whatever earlier migrations did to it.
 */
function applyPatch(dir, { file, find, replace, migration }) {
  if (migration !== undefined) {
    fs.writeFileSync(path.join(dir, 'src/sql/migrations/9999_negative_control.sql'), migration);
    return;
  }
  const target = path.join(dir, file);
  const text = fs.readFileSync(target, 'utf8');
  const count = text.split(find).length - 1;
  if (count !== 1) throw new Error(`${file}: the patch anchor occurs ${count} times (expected once); update the control`);
  fs.writeFileSync(target, text.replace(find, () => replace));
}

/** Run vitest (postgres project) on `files` in `dir`; resolves with the JSON report's counts. */
function runTests(dir, { files, filter, testTimeout }) {
  const report = path.join(dir, 'control-report.json');
  const argv = [path.join(REPO, 'node_modules/vitest/vitest.mjs'), 'run', '--project', 'postgres', '--reporter=json', `--outputFile=${report}`, ...files];
  if (filter) argv.push('-t', filter);
  if (testTimeout) argv.push(`--testTimeout=${testTimeout}`);
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, argv, { cwd: dir, env: { ...process.env, FORCE_COLOR: '0' }, stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {}
    }, TIMEOUT_MS);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const seconds = (Date.now() - started) / 1000;
      let counts = { total: 0, passed: 0, failed: 0, loadErrors: 0 };
      if (fs.existsSync(report)) {
        const r = JSON.parse(fs.readFileSync(report, 'utf8'));
        const loadErrors = r.testResults.filter((t) => t.status === 'failed' && t.assertionResults.length === 0).length;
        counts = { total: r.numTotalTests, passed: r.numPassedTests, failed: r.numFailedTests, loadErrors };
      }
      resolve({ code, signal, seconds, counts, stderr, timedOut: signal === 'SIGKILL' });
    });
  });
}

const describeRun = (r) =>
  r.timedOut ? `timed out after ${Math.round(r.seconds)} s` : `${r.counts.failed} failed / ${r.counts.total}${r.counts.loadErrors ? ` (${r.counts.loadErrors} files did not load)` : ''}`;

const faults = SHORT ? FAULTS.filter((f) => f.short) : FAULTS;
const rows = [];
const dirs = [];
let ok = true;
const began = Date.now();

// Baseline: the same tests on an unbroken copy must pass, or a failing control proves nothing.
const baselineSets = new Map();
for (const f of faults) {
  const t = SHORT ? f.short : f.tests;
  const key = JSON.stringify(t);
  if (!baselineSets.has(key)) baselineSets.set(key, t);
}
const clean = scratchCopy('baseline');
dirs.push(clean);
for (const t of baselineSets.values()) {
  process.stdout.write(`baseline: ${t.files.join(' ')}${t.filter ? ` -t '${t.filter}'` : ''} ... `);
  const r = await runTests(clean, t);
  const passed = r.code === 0 && r.counts.failed === 0 && r.counts.passed > 0;
  console.log(passed ? `pass (${r.counts.passed} tests, ${r.seconds.toFixed(0)} s)` : `FAILED (${describeRun(r)})`);
  if (!passed) {
    ok = false;
    rows.push({ id: 'baseline (no fault)', tests: t.files.join(' '), result: `FAILED: ${describeRun(r)}`, verdict: 'tests fail without a fault', seconds: r.seconds });
    console.log(r.stderr);
  }
}

for (const f of faults) {
  const t = SHORT ? f.short : f.tests;
  const dir = scratchCopy(f.id);
  dirs.push(dir);
  process.stdout.write(`${f.id}: ${t.files.join(' ')}${t.filter ? ` -t '${t.filter}'` : ''} ... `);
  try {
    applyPatch(dir, f.patch);
  } catch (err) {
    ok = false;
    console.log(`PATCH FAILED: ${err.message}`);
    rows.push({ id: f.id, tests: t.files.join(' '), result: 'patch not applied', verdict: 'BROKEN CONTROL', seconds: 0 });
    continue;
  }
  const r = await runTests(dir, t);
  const caught = r.counts.failed > 0 || r.timedOut;
  const verdict = caught ? 'caught' : r.counts.loadErrors > 0 ? 'BROKEN CONTROL (files did not load)' : 'NOT CAUGHT';
  if (!caught) ok = false;
  console.log(`${verdict} (${describeRun(r)}, ${r.seconds.toFixed(0)} s)`);
  rows.push({ id: f.id, fault: f.fault, tests: `${t.files.join(' ')}${t.filter ? ` -t '${t.filter}'` : ''}`, result: describeRun(r), verdict, seconds: r.seconds });
}

if (!KEEP) for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });

const header = ['fault', 'tests run', 'result', 'verdict', 'time'];
const table = rows.map((r) => [r.id, r.tests, r.result, r.verdict, `${r.seconds.toFixed(0)} s`]);
const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
console.log(`\nNegative controls (${SHORT ? 'short' : 'full'} profile), ${((Date.now() - began) / 1000).toFixed(0)} s in all`);
console.log(line(header));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const row of table) console.log(line(row));
if (!ok) {
  console.log('\nFAILED: a control above was not caught, or is broken: see the verdict column.');
  process.exit(1);
}
console.log('\nEvery injected fault made its tests fail.');
