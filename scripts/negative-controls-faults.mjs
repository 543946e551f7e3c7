/**
 * The negative controls' faults (scripts/negative-controls.mjs), apart from the script that runs
 * them, so that a unit test can check that every patch still applies to the sources
 * (test/unit/negative-controls-anchors.test.ts): an anchor edited away makes a control that tests
 * nothing, and CI runs only the short profile.
 */
/**
 * The faults. `patch` edits one file of the copy: `find` must occur exactly once. `tests` are the
 * files (optionally a test-name filter and a shorter test timeout) that must fail; `short` is the CI
 * profile's choice for the fault, if it is in that profile.
 */
export const FAULTS = [
  {
    id: 'retry-limit-off-by-one',
    fault: 'maximumAttempts N allows N + 1 retries',
    patch: {
      file: 'src/worker/retry-policy.ts',
      find: "maximumAttempts: Number(pick(levels, 'maximumAttempts')),",
      replace: "maximumAttempts: Number(pick(levels, 'maximumAttempts')) + 1,",
    },
    tests: { files: ['test/retry-policy.test.ts'] },
    short: { files: ['test/retry-policy.test.ts'], filter: 'inline activity: maximumAttempts 3', testTimeout: 30_000 },
  },
  {
    id: 'backoff-ignored',
    fault: 'every retry 1 s after the last (backoffCoefficient ignored)',
    patch: {
      file: 'src/worker/retry-policy.ts',
      find: 'return Math.min(policy.backoffCoefficient ** (n - 1), policy.maximumIntervalSeconds);',
      replace: 'return Math.min(1, policy.maximumIntervalSeconds);',
    },
    tests: { files: ['test/retry-policy.test.ts'] },
  },
  {
    id: 'lease-fence-disabled',
    fault: 'lease_held() always true (a last migration redefines it)',
    patch: {
      migration: 'CREATE OR REPLACE FUNCTION {{schema}}.lease_held(p_task bigint, p_claims int) RETURNS boolean\nLANGUAGE sql AS $$ SELECT true $$;\n',
    },
    // the test that drives a fenced write past the lease guard (the guard alone stops a stale run
    // that knows its lease ran out, so the end-to-end fault test cannot tell the fence is gone)
    tests: { files: ['test/lease-fence-serialises-with-claims.test.ts'] },
  },
  {
    id: 'signal-dropped',
    fault: 'a signal to a waiter is dropped (deliver_to_waiters reports it delivered and does nothing)',
    patch: {
      migration:
        'CREATE OR REPLACE FUNCTION {{schema}}.deliver_to_waiters(p_job text, p_signal text, p_data jsonb) RETURNS int\n' +
        'LANGUAGE sql AS $$ SELECT 1 $$;\n',
    },
    tests: { files: ['test/workflow-basics.test.ts', 'test/readme-promises-crash.test.ts'] },
    // a dropped signal leaves the test waiting: a short timeout makes that a quick failure
    short: { files: ['test/workflow-basics.test.ts'], filter: 'signal', testTimeout: 15_000 },
  },
  {
    id: 'journal-write-skipped',
    fault: 'appendResult journals nothing (and reports success)',
    patch: {
      file: 'src/sql/queries/journal.ts',
      find: 'SELECT seq FROM {{schema}}.journal_append($taskId, $claims, $jobId, $thread, $seq, $kind, $name, $status, $result::jsonb, $attempt, $batch) AS seq',
      replace: 'SELECT $seq::int AS seq',
    },
    tests: { files: ['test/fault/kill-worker.test.ts', 'test/workflow-basics.test.ts'] },
  },
];
