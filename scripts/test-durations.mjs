#!/usr/bin/env node
/**
 * After a full `npm test`, record how long each test file took (from vitest's results cache) in
 * test/support/durations.json, which the suite's sequencer reads to start the longest files first
 * (test/support/sequencer.ts). Run it when files were added or got much slower or faster.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const cacheDir = 'node_modules/.vite/vitest';
const merged = {};
for (const dir of readdirSync(cacheDir)) {
  const { results } = JSON.parse(readFileSync(join(cacheDir, dir, 'results.json'), 'utf8'));
  for (const [key, { duration }] of results) if (typeof duration === 'number') merged[key] = Math.round(duration / 100) * 100;
}
const sorted = Object.fromEntries(Object.entries(merged).sort(([a, x], [b, y]) => y - x || a.localeCompare(b)));
writeFileSync('test/support/durations.json', `${JSON.stringify(sorted, null, 1)}\n`);
console.log(`test/support/durations.json: ${Object.keys(sorted).length} files, ${(Object.values(sorted).reduce((a, b) => a + b, 0) / 1000).toFixed(0)} s in all`);
