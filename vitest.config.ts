import { fileURLToPath } from 'node:url';
import { configDefaults, defineConfig } from 'vitest/config';
import { PGLITE_TEMPLATE } from './test/support/pglite-template.js';
import { PlannedOrder } from './test/support/sequencer.js';

// Every integration test file runs twice: once against real PostgreSQL, once against embedded PGlite.
// Except these, which need several database sessions (PGlite has one, in process): they run on
// PostgreSQL only, by configuration rather than by skipping themselves.
// lease-fence: two worker processes on one database.
// readme-promises-postgres: a server restart, pg_stat_activity, `{ tx }` and pg connection forms.
const POSTGRES_ONLY = [
  'test/fault/dropped-connections.test.ts',
  'test/claim-sees-every-counted-wakeup.test.ts',
  'test/lease-fence-serialises-with-claims.test.ts',
  'test/fault/half-open-connection.test.ts',
  'test/fault/paused-worker.test.ts',
  'test/logging-connection-events.test.ts',
  'test/logging-connection-events-client.test.ts',
  'test/terminated-connections-survive.test.ts',
  'test/readme-promises-postgres.test.ts',
  'test/fault/lease-fence.test.ts',
  // its own PostgreSQL cluster: kills worker processes, restarts the server, terminates sessions
  'test/chaos-short.test.ts',
  // the CLI's commands wired to the management API: the API's behaviour on PGlite is manage-*.test.ts,
  // and each CLI run on PGlite opens the data directory (seconds); cli.test.ts runs on both
  'test/cli-operations.test.ts',
  'test/group-commit-lock-order.test.ts',
  // a second session holds a hook start's transaction open while the retention sweep runs
  'test/expire-sweep-race.test.ts',
  // the LISTEN connection is PostgreSQL's
  'test/listen-one-statement-at-a-time.test.ts',
  // a CLI run against the live database, as cli-operations
  'test/cli-reader-gone.test.ts',
];
// Embedded-database promises (the startup notice, the version stamp, HOTMESH_LOCK_WAIT_MS): these
// open data directories of their own whatever the backend, so they run once, in the pglite project.
// cli-errors: the CLI's refusals, against PostgreSQL and a data directory of its own.
const PGLITE_ONLY = [
  'test/readme-promises-embedded.test.ts',
  'test/cli-errors.test.ts',
  'test/pglite-named-statements.test.ts',
  // the embedded driver's own autovacuum (PostgreSQL runs its own)
  'test/pglite-autovacuum.test.ts',
  // the bench's argument parsing: no database at all
  'test/bench-arguments.test.ts',
  // the in-memory database's template file (the pglite project's own set-up)
  'test/pglite-template.test.ts',
];
// test/support/backend.ts reads HOTMESH_TEST_BACKEND to pick the connection.
// Stryker's sandboxes (.stryker-tmp/, `npm run mutate`) hold copies of src/ and test/: never run those.
const NEVER = [...configDefaults.exclude, '**/.stryker-tmp/**'];
const shared = {
  include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
  testTimeout: 60_000,
  // a setup opens (and on PGlite, creates and migrates) a database: 63 s once on a machine far more
  // loaded than CI's; a ceiling only
  hookTimeout: 120_000,
  pool: 'forks' as const,
};

export default defineConfig({
  // Examples and README samples import the package by its published name.
  resolve: { alias: { hotmesh: fileURLToPath(new URL('./src/index.ts', import.meta.url)) } },
  test: {
    // Most files wait on the database, on timers and on leases rather than on the CPU: three at a time
    // on two cores (vitest's default here is one file at a time, ~23 minutes for the suite).
    maxWorkers: 3,
    // planned from an earlier run's durations, across both projects (test/support/sequencer.ts)
    sequence: { sequencer: PlannedOrder },
    projects: [
      {
        extends: true,
        test: { ...shared, name: 'postgres', env: { HOTMESH_TEST_BACKEND: 'postgres' }, exclude: [...NEVER, ...PGLITE_ONLY] },
      },
      {
        extends: true,
        test: {
          ...shared,
          name: 'pglite',
          env: { HOTMESH_TEST_BACKEND: 'pglite', HOTMESH_PGLITE_TEMPLATE: PGLITE_TEMPLATE },
          // the fresh cluster every in-memory database starts from (instead of initdb each time)
          globalSetup: ['test/support/pglite-template.ts'],
          // PostgreSQL only: terminates the worker's database sessions (or cuts its TCP connections),
          // which an in-process database has not got.
          exclude: [...NEVER, ...POSTGRES_ONLY],
        },
      },
    ],
  },
});
