/**
 * README promises about the embedded database (this file runs in the pglite project only; it opens
 * data directories of its own, whatever the project's backend):
 *
 * - with no connection configured HotMesh "says once, on stderr, that it is using the embedded
 *   database and where" (the quick start's two `MemFlow.init` calls: one line);
 * - "The PGlite version is pinned exactly and stamped in the directory": the stamp is the pinned
 *   version, and a directory stamped by another version is refused, naming both;
 * - a second opener of a held directory "waits up to `HOTMESH_LOCK_WAIT_MS` (default 5000)", then gets
 *   a `DataDirLockedError`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { DataDirLockedError, MemFlow } from '../src/index.js';
import { PGLITE_VERSION } from '../src/storage/pglite/pglite-driver.js';

const readJson = (relative: string) => JSON.parse(fs.readFileSync(new URL(relative, import.meta.url), 'utf8'));
const packageJson = readJson('../package.json') as { dependencies: Record<string, string> };
const installedPglite = (readJson('../node_modules/@electric-sql/pglite/package.json') as { version: string }).version;

async function hello(name: string) {
  return `Hello, ${name}!`;
}

describe('README promises: the embedded database', () => {
  let root: string;
  let dataDir: string;
  const savedEnv = { dataDir: process.env.HOTMESH_DATA_DIR, lockWait: process.env.HOTMESH_LOCK_WAIT_MS };
  beforeAll(() => {
    delete process.env.DATABASE_URL; // it would win over HOTMESH_DATA_DIR (README, Databases)
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'hotmesh-embedded-'));
    dataDir = path.join(root, 'data');
  });
  afterEach(() => {
    vi.restoreAllMocks();
    for (const [key, value] of [['HOTMESH_DATA_DIR', savedEnv.dataDir], ['HOTMESH_LOCK_WAIT_MS', savedEnv.lockWait]] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('with no connection configured, says once on stderr that it uses the embedded database, and where', async () => {
    process.env.HOTMESH_DATA_DIR = dataDir;
    const lines: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    vi.spyOn(process.stderr, 'write').mockImplementation(((chunk: string | Uint8Array, ...rest: unknown[]) => {
      lines.push(String(chunk));
      return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof process.stderr.write);
    // The quick start: startWorker() and main() each call MemFlow.init with DATABASE_URL unset.
    const readmeForm = { connection: { class: pg.Client, options: { connectionString: undefined } } };
    const workers = await MemFlow.init({ appId: 'my-app', engine: readmeForm });
    const main = await MemFlow.init({ appId: 'my-app', engine: readmeForm });
    try {
      await workers.worker.create({ taskQueue: 'embedded', workflow: hello });
      const h = await main.workflow.start({ taskQueue: 'embedded', workflowName: 'hello', args: ['Jane'] });
      expect(await h.result()).toBe('Hello, Jane!');
    } finally {
      await main.shutdown();
      await workers.shutdown();
    }
    const notices = lines.filter((l) => l.startsWith('hotmesh:'));
    expect(notices).toEqual([
      `hotmesh: no database connection configured; using the embedded PGlite database at ${dataDir} ` +
        `(one process only; configure a PostgreSQL connection to run several)\n`,
    ]);
  }, 60_000);

  it("says nothing with logLevel 'silent' or HOTMESH_LOG_LEVEL=silent (a black-box pass: the notice ignored both)", async () => {
    const lines: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    vi.spyOn(process.stderr, 'write').mockImplementation(((chunk: string | Uint8Array, ...rest: unknown[]) => {
      lines.push(String(chunk));
      return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof process.stderr.write);
    process.env.HOTMESH_DATA_DIR = path.join(root, 'silent-option');
    const silent = await MemFlow.init({ appId: 'silent-app', logLevel: 'silent' });
    await silent.client.engine('silent-app');
    await silent.shutdown();
    const savedLevel = process.env.HOTMESH_LOG_LEVEL;
    process.env.HOTMESH_LOG_LEVEL = 'silent';
    process.env.HOTMESH_DATA_DIR = path.join(root, 'silent-env');
    try {
      const quiet = await MemFlow.init({ appId: 'silent-app' });
      await quiet.client.engine('silent-app');
      await quiet.shutdown();
    } finally {
      if (savedLevel === undefined) delete process.env.HOTMESH_LOG_LEVEL;
      else process.env.HOTMESH_LOG_LEVEL = savedLevel;
    }
    expect(lines.filter((l) => l.startsWith('hotmesh:'))).toEqual([]);
    // the check can fail: the same open with the default level says it
    process.env.HOTMESH_DATA_DIR = path.join(root, 'said');
    const said = await MemFlow.init({ appId: 'silent-app' });
    await said.client.engine('silent-app');
    await said.shutdown();
    expect(lines.filter((l) => l.startsWith('hotmesh:'))).toHaveLength(1);
  }, 60_000);

  it('stamps the directory with the exactly pinned PGlite version, and refuses one stamped by another', async () => {
    expect(packageJson.dependencies['@electric-sql/pglite']).toBe(PGLITE_VERSION); // pinned exactly
    expect(installedPglite).toBe(PGLITE_VERSION);
    const stamp = path.join(dataDir, 'hotmesh-pglite-version');
    expect(fs.readFileSync(stamp, 'utf8')).toBe(PGLITE_VERSION);

    fs.writeFileSync(stamp, '0.4.9');
    const err = await MemFlow.init({ appId: 'my-app', engine: { connection: { dataDir } } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toContain(`written by PGlite 0.4.9; this build uses ${PGLITE_VERSION}`);
    expect(fs.existsSync(path.join(dataDir, 'hotmesh.lock'))).toBe(false); // the refusal let go of the lock

    fs.writeFileSync(stamp, PGLITE_VERSION);
    const reopened = await MemFlow.init({ appId: 'my-app', engine: { connection: { dataDir } } });
    await reopened.shutdown();
  }, 60_000);

  it('a second opener waits HOTMESH_LOCK_WAIT_MS for a held directory, then gets DataDirLockedError', async () => {
    const holder = await MemFlow.init({ appId: 'my-app', engine: { connection: { dataDir } } });
    // The same directory under a second path: a second opener, in this process, of a held directory.
    const alias = path.join(root, 'alias');
    fs.symlinkSync(dataDir, alias);
    try {
      for (const waitMs of [300, 1500]) {
        process.env.HOTMESH_LOCK_WAIT_MS = String(waitMs);
        const began = Date.now();
        const err = await MemFlow.init({ appId: 'my-app', engine: { connection: { dataDir: alias } } }).catch((e: unknown) => e);
        const waited = Date.now() - began;
        expect(err).toBeInstanceOf(DataDirLockedError);
        expect(waited, `HOTMESH_LOCK_WAIT_MS=${waitMs}`).toBeGreaterThanOrEqual(waitMs);
        // well short of the 5 s default: the variable, not the default, set the wait
        expect(waited, `HOTMESH_LOCK_WAIT_MS=${waitMs}`).toBeLessThan(waitMs + 2500);
      }
    } finally {
      await holder.shutdown();
    }
    // let go: the next opener gets it at once (through the real path: PGlite itself cannot open a data
    // directory that is a symlink, ErrnoError 44, lock or no lock)
    process.env.HOTMESH_LOCK_WAIT_MS = '0';
    const after = await MemFlow.init({ appId: 'my-app', engine: { connection: { dataDir } } });
    await after.shutdown();
  }, 60_000);
});
