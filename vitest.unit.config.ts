import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The fast, database-free unit tests of the pure modules (the replay core, retry policy, durations,
// context paths and ops, JSON checks, validation, the failure codec): what `npm run test:unit` and
// the mutation run (`npm run mutate`, stryker.config.mjs) execute. The integration suite is
// vitest.config.ts.
export default defineConfig({
  // The examples (replayed by test/unit/golden-histories.test.ts) import the package by its published name.
  resolve: { alias: { hotmesh: fileURLToPath(new URL('./src/index.ts', import.meta.url)) } },
  test: {
    include: ['src/**/*.test.ts', 'test/unit/**/*.test.ts', 'test/validation.test.ts'],
    exclude: ['**/node_modules/**', '**/.stryker-tmp/**'],
    pool: 'threads',
  },
});
