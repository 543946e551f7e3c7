// Mutation testing of the pure modules (`npm run mutate`): StrykerJS 9 with its vitest runner, running
// only the fast database-free unit tests (vitest.unit.config.ts). docs/mutation-testing.md has the
// scores and the surviving mutants that are equivalent. Incremental: a re-run tests only the mutants
// whose code or covering tests changed since the result kept in reports/stryker-incremental.json.
// Static mutants (module-level constants: they have no per-test coverage) are never re-tested by an
// incremental run, so after adding tests for them run `npm run mutate -- --force`.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.unit.config.ts' },
  mutate: [
    'src/replay/thread-run.ts',
    'src/replay/durable-call.ts',
    'src/replay/journal-entry.ts',
    'src/worker/retry-policy.ts',
    'src/duration.ts',
    'src/context/context-path.ts',
    'src/context/context-op.ts',
    'src/json-value.ts',
    'src/validation.ts',
    'src/failure-codec.ts',
    'src/worker/context-log-retention.ts',
    'src/engine/group-commit.ts',
    'src/engine/write-lane.ts',
  ],
  coverageAnalysis: 'perTest',
  // The machine is shared: two test processes at most.
  concurrency: 2,
  incremental: true,
  incrementalFile: 'reports/stryker-incremental.json',
  timeoutMS: 10_000,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  clearTextReporter: { allowColor: false, logTests: false },
  thresholds: { high: 90, low: 80, break: 80 },
  tempDirName: '.stryker-tmp',
};
