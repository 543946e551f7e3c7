/**
 * The `hotmesh` CLI's refusals, exit codes and one-line reasons (the compiled bin, a subprocess):
 * usage errors and bad JSON arguments (exit 2, refused before anything is opened: the runs point at
 * a port where nothing listens, and still get the usage error), a server that cannot be reached (1),
 * an embedded data directory another process holds (1, the lock's reason and a hint, in about the
 * CLI's 1 s lock wait, never a hang), `migrate --dry-run` / `--print-sql`, which write nothing, and an
 * app whose schema lacks migrations (1 until `hotmesh migrate`: no other command changes a schema).
 *
 * Runs once (vitest.config.ts lists it with the files that open data directories of their own): it
 * uses PostgreSQL and a PGlite directory of its own whatever the project's backend.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS } from '../src/cli/commands/index.js';
import { acquireDataDirLock } from '../src/storage/pglite/data-dir-lock.js';
import { holdDriver, resolveTarget } from '../src/storage/connection.js';
import { migrate, MIGRATIONS } from '../src/storage/migrate.js';
import { POSTGRES_URL, uniqueAppId } from './support/backend.js';
import { builtCli, errorLines, runCli } from './support/cli.js';

const NOWHERE = 'postgres://postgres@127.0.0.1:1/test'; // nothing listens on port 1
const label = (m: { version: number; name: string }) => `${String(m.version).padStart(4, '0')}_${m.name}`;

describe('hotmesh CLI: refusals and exit codes', () => {
  let root: string;
  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'hotmesh-cli-errors-'));
    await builtCli();
  }, 120_000);
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('is the package bin, compiled to dist/cli/main.js, and lists (as the README does) every registered command', async () => {
    const pkg = JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    expect(pkg.bin).toEqual({ hotmesh: './dist/cli/main.js' });
    expect(pkg.files).toContain('dist');
    const bin = await builtCli();
    expect(bin.endsWith(path.join('cli', 'main.js'))).toBe(true);
    expect(fs.readFileSync(bin, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');

    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    const readme = fs.readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const commandTable = readme.slice(readme.indexOf('### From the shell: `hotmesh`'), readme.indexOf('## Logs, traces and metrics'));
    for (const name of COMMANDS.flatMap((c) => c.names)) {
      expect(help.stdout).toMatch(new RegExp(`^  ${name}\\b`, 'm'));
      expect(commandTable, `README documents ${name}`).toMatch(new RegExp(`^\\| .*[\`|]${name}\\b`, 'm'));
    }
  });

  it('exits 2 for bad usage and bad JSON arguments, naming the argument, before opening anything', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['start', 'q', 'greet', '--args', '[x'], /^hotmesh: Invalid --args: must be JSON \(.*\); quote it for the shell/],
      [['start', 'q', 'greet', '--args', '{"a":1}'], /^hotmesh: Invalid --args: must be a JSON array of arguments, e\.g\. '\["Jane"\]' \(got an object\)$/],
      [['signal', 'job-1', 'go', '{ok:1}'], /^hotmesh: Invalid signal payload: must be JSON/],
      [['context', 'set', 'job-1', 'a.b', "{'x':1}"], /^hotmesh: Invalid value: must be JSON/],
      [['context', 'increment', 'job-1', 'n', '"2"'], /^hotmesh: Invalid by: must be a number/],
      [['context', 'at', 'job-1', 'v1'], /^hotmesh: Invalid version: must be an integer/],
      [['list', '--limit', '0'], /^hotmesh: Invalid --limit: must be between 1 and 1000/],
      [['list', '--search', 'novalue'], /^hotmesh: Invalid --search: must be field=value/],
      [['list', '--status', 'sleeping'], /^hotmesh: Invalid --status: must be one of running, waiting, completed, failed, parked, cancelled, terminated \(got "sleeping"\)$/],
      [['list', '--cursor', 'not-a-cursor'], /^hotmesh: Invalid --cursor: /],
      [['counts', '--created-after', 'yesterday'], /^hotmesh: Invalid --created-after: must be a Date or an ISO 8601 date string \(a time without a zone is UTC\)$/],
      // names, ids, paths and the actor too: each was checked only once the database was open (exit 1
      // against an unreachable server, 3 on a fresh data directory: a black-box pass)
      [['start', 'q', 'bad-name'], /^hotmesh: Invalid workflowName: /],
      [['start', 'bad/queue', 'greet'], /^hotmesh: Invalid taskQueue: /],
      [['start', 'q', 'greet', '--id', 'a\u0001b'], /^hotmesh: Invalid workflowId: must not contain control characters/],
      [['signal', 'job-1', 'bad\u0001'], /^hotmesh: Invalid signalId: /],
      [['signal', 'job\u0001', 'go'], /^hotmesh: Invalid workflowId: /],
      [['hook', 'job-1', 'bad/queue', 'tagger'], /^hotmesh: Invalid taskQueue: /],
      [['context', 'get', 'job-1', 'a..b'], /^hotmesh: Invalid path: /],
      [['context', 'set', 'job-1', '--actor', '', '1'], /^hotmesh: Invalid actor: must not be empty/],
      [['describe', 'a\u0001'], /^hotmesh: Invalid workflowId: /],
      [['fork', 'job-1', '--id', 'x\u0001'], /^hotmesh: Invalid --id: /],
      [['cancel', 'job-1', '--reason', 'r'.repeat(1001)], /^hotmesh: Invalid --reason: must be at most 1000 characters$/],
      [['dashboard', '--port', '99999'], /^hotmesh: Invalid --port: must be an integer from 0 to 65535$/],
      [['dashboard', '--host', '0.0.0.0', '--token', 'short'], /^hotmesh: Invalid --token: must be a string of at least 16 characters$/],
      [['dashboard', '--host', '0.0.0.0'], /^hotmesh: Invalid --token: is required to bind '0\.0\.0\.0'/],
      [['describe'], /^error: missing required argument 'workflowId'$/],
      [['frobnicate'], /^error: unknown command 'frobnicate'$/],
      [['apps', '--colour'], /^error: unknown option '--colour'$/],
    ];
    const runs = await Promise.all(cases.map(([args]) => runCli(['--url', NOWHERE, ...args])));
    runs.forEach((run, i) => {
      const [args, reason] = cases[i]!;
      expect(run.code, `${args.join(' ')}: ${run.stderr}`).toBe(2);
      expect(errorLines(run)[0], args.join(' ')).toMatch(reason);
      expect(run.stdout).toBe('');
    });

    const both = await runCli(['--url', NOWHERE, '--data-dir', root, 'apps']);
    expect(both.code).toBe(2);
    expect(errorLines(both)).toEqual(['hotmesh: Invalid --url: give --url or --data-dir, not both']);
    const scheme = await runCli(['--url', 'mysql://localhost/db', 'apps']);
    expect(scheme.code).toBe(2);
    expect(errorLines(scheme)).toEqual(['hotmesh: Invalid --url: must be a postgres:// or postgresql:// URL']);
  }, 120_000);

  it('exits 1 with one line naming the server and the setting when PostgreSQL cannot be reached', async () => {
    const [flag, env] = await Promise.all([runCli(['--url', NOWHERE, 'list']), runCli(['apps'], { env: { DATABASE_URL: NOWHERE } })]);
    expect(flag.code).toBe(1);
    expect(errorLines(flag)).toEqual([expect.stringMatching(/^hotmesh: Cannot connect to PostgreSQL at 127\.0\.0\.1:1\/test \(from --url\): connect ECONNREFUSED 127\.0\.0\.1:1\. Check that/)]);
    expect(flag.stderr).not.toMatch(/\n\s+at /); // no stack
    expect(env.code).toBe(1);
    expect(errorLines(env)).toEqual([expect.stringMatching(/^hotmesh: Cannot connect to PostgreSQL at 127\.0\.0\.1:1\/test \(from DATABASE_URL\): .* in DATABASE_URL \(unset it to use the embedded database\)\.$/)]);

    const verbose = await runCli(['--url', NOWHERE, '--verbose', 'apps']);
    expect(verbose.code).toBe(1);
    expect(verbose.stderr).toMatch(/\n\s+at /); // --verbose adds the stack
  }, 60_000);

  it('--version prints the package version and exits 0', async () => {
    const pkg = JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    const run = await runCli(['--version']);
    expect({ code: run.code, stdout: run.stdout }).toEqual({ code: 0, stdout: `${pkg.version}\n` });
  });

  it('on an embedded database, a failure is one line on stderr: no notice of the database --data-dir, HOTMESH_DATA_DIR or ./.hotmesh chose', async () => {
    // black-box passes: every PGlite error came with the startup notice before it (with --data-dir,
    // then with HOTMESH_DATA_DIR and with the default ./.hotmesh of the working directory)
    const cwd = path.join(root, 'cwd');
    fs.mkdirSync(cwd);
    const runs = await Promise.all([
      runCli(['--data-dir', path.join(root, 'quiet'), 'describe', 'no-such-job'], { timeoutMs: 60_000 }),
      runCli(['describe', 'no-such-job'], { env: { HOTMESH_DATA_DIR: path.join(root, 'quiet-env') }, timeoutMs: 60_000 }),
      runCli(['describe', 'no-such-job'], { cwd, timeoutMs: 60_000 }),
    ]);
    for (const run of runs) {
      expect(run.code, run.stderr).toBe(3);
      expect(run.stderr.split('\n').filter((l) => l !== ''), run.stderr).toEqual([expect.stringMatching(/^hotmesh: No app 'memflow'/)]);
    }
    expect(fs.existsSync(path.join(cwd, '.hotmesh'))).toBe(true); // the default it chose
  }, 90_000);

  it('fails at once with the lock holder and a hint when another process holds the embedded data directory', async () => {
    const dataDir = path.join(root, 'held');
    const release = await acquireDataDirLock(dataDir); // this test process is the other process
    try {
      const run = await runCli(['--data-dir', dataDir, 'list'], { timeoutMs: 30_000 });
      expect(run.code).toBe(1);
      expect(errorLines(run)).toEqual([
        `hotmesh: The embedded database at ${dataDir} is in use by process ${process.pid}. PGlite serves one process only: point every process at PostgreSQL (DATABASE_URL) to run several.`,
        expect.stringMatching(/^hint: stop the process that holds it .* or run both on PostgreSQL \(--url or DATABASE_URL\)\. HOTMESH_LOCK_WAIT_MS/),
      ]);
      expect(run.ms).toBeLessThan(15_000); // the 1 s wait plus a process start, never the 60 s kill
    } finally {
      release();
    }
  }, 60_000);

  it('migrate --dry-run and --print-sql show the pending migrations and write nothing; migrate applies them once', async () => {
    const appId = uniqueAppId('cli-migrate');
    const schema = appId.replace(/-/g, '_');
    const cli = (...args: string[]) => runCli(['--url', POSTGRES_URL, '--app', appId, ...args]);

    const dry = await cli('migrate', '--dry-run', '--json');
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.json()).toEqual({ appId, schema, applied: [], pending: MIGRATIONS.map(label) });
    const sql = await cli('migrate', '--print-sql');
    expect(sql.code, sql.stderr).toBe(0);
    expect(sql.stdout.match(/^-- \d{4}_\w+$/gm)).toEqual(MIGRATIONS.map((m) => `-- ${label(m)}`));
    expect(sql.stdout).toContain(`CREATE TABLE "${schema}".jobs (`);
    expect(sql.stdout).not.toContain('{{schema}}');
    const apps = await cli('apps', '--json');
    expect(apps.json().map((a: { appId: string }) => a.appId)).not.toContain(appId); // nothing was written

    const first = await cli('migrate');
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toBe(`app '${appId}' (schema ${schema}): applied ${MIGRATIONS.length} migration(s): ${MIGRATIONS.map(label).join(', ')}\n`);
    const [again, listed] = await Promise.all([cli('migrate', '--json'), cli('apps')]);
    expect(again.json()).toEqual({ appId, schema, applied: [], pending: [] });
    expect(listed.stdout).toMatch(/^APP\s+SCHEMA\s+MIGRATION\s+CREATED$/m);
    expect(listed.stdout).toMatch(new RegExp(`^${appId}\\s+${schema}\\s+${label(MIGRATIONS.at(-1)!).slice(0, 4)}\\s+\\d{4}-`, 'm'));
  }, 60_000);

  it('works on an app only once its schema has every migration this build ships: `migrate` applies them, reading never does', async () => {
    const appId = uniqueAppId('cli-older');
    const hold = await holdDriver(resolveTarget(POSTGRES_URL));
    try {
      await migrate(hold.driver, appId, MIGRATIONS.slice(0, -1)); // the app as an older version left it
    } finally {
      await hold.release();
    }
    const cli = (...args: string[]) => runCli(['--url', POSTGRES_URL, '--app', appId, ...args]);
    const refused = await cli('list');
    expect(refused.code).toBe(1);
    expect(errorLines(refused)).toEqual([
      `hotmesh: App '${appId}' has 1 migration(s) this build ships and its schema lacks (${label(MIGRATIONS.at(-1)!)}). Run \`hotmesh migrate --app ${appId}\` (or start a worker of this version) to apply them.`,
    ]);
    const dry = await cli('migrate', '--dry-run', '--json');
    expect(dry.json().pending).toEqual([label(MIGRATIONS.at(-1)!)]); // the refused list applied nothing
    expect((await cli('migrate')).code).toBe(0);
    const listed = await cli('list', '--json');
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.json()).toEqual({ items: [], nextCursor: null });
  }, 60_000);
});
