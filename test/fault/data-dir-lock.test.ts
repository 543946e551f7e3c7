/**
 * The PGlite data-directory lock (src/storage/pglite/data-dir-lock.ts) admits one holder at a time.
 *
 * - Eight processes race for a directory whose lock file holds a dead pid (a process killed with -9
 *   left it). Taking over a stale lock used to be read pid → check → remove → create, so two
 *   contenders that both read the dead pid could both "take it over" (the second removing the first's
 *   fresh lock): 2 of 9 trials had two holders.
 * - In one process, a second acquire of a held directory used to succeed (its own pid counted as
 *   stale), and its release deleted the first holder's lock.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { DataDirLockedError } from '../../src/errors.js';
import { acquireDataDirLock } from '../../src/storage/pglite/data-dir-lock.js';
import { readLockFile } from '../../src/storage/pglite/lock-file.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SCRIPT = path.join(HERE, 'lock-contender-process.ts');
const REPO = path.resolve(HERE, '../..');
const LOCK = 'hotmesh.lock';

const tempDirs: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hotmesh-lock-'));
  tempDirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** The pid of a process that has exited (what a kill -9 leaves in the lock file). */
function deadPid(): number {
  const pid = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
  return Number(pid);
}

function runContender(base: string, trials: number, contenders: number, holdMs: number): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT, base, String(trials), String(contenders), String(holdMs)], {
      cwd: REPO,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

describe('PGlite data-directory lock', () => {
  it('eight processes racing to take over a stale lock: at most one holds it at any time', async () => {
    const TRIALS = 20;
    const CONTENDERS = 8;
    const base = tempDir();
    const dead = deadPid();
    for (let t = 0; t < TRIALS; t++) {
      fs.mkdirSync(path.join(base, `trial-${t}`, 'data'), { recursive: true });
      fs.writeFileSync(path.join(base, `trial-${t}`, 'data', LOCK), String(dead));
    }
    const results = await Promise.all(Array.from({ length: CONTENDERS }, () => runContender(base, TRIALS, CONTENDERS, 30)));
    for (const r of results) expect(r.code, r.stderr).toBe(0);

    const overlaps: string[] = [];
    for (let t = 0; t < TRIALS; t++) {
      const lines = fs.readFileSync(path.join(base, `trial-${t}`, 'holders.log'), 'utf8').trim().split('\n');
      expect(lines.filter((l) => l.startsWith('error')), `trial ${t}`).toEqual([]);
      // appends are atomic and ordered: replaying them gives the number of holders at each moment
      let holders = 0;
      let max = 0;
      for (const line of lines) {
        holders += line.startsWith('in ') ? 1 : -1;
        max = Math.max(max, holders);
      }
      if (max > 1) overlaps.push(`trial ${t}: ${max} holders at once\n${lines.join('\n')}`);
      expect(lines.filter((l) => l.startsWith('in ')).length, `trial ${t}: someone took the stale lock`).toBeGreaterThanOrEqual(1);
      // whoever held it last let go, and took nothing else with it
      expect(fs.existsSync(path.join(base, `trial-${t}`, 'data', LOCK)), `trial ${t}`).toBe(false);
    }
    expect(overlaps).toEqual([]);
  }, 120_000);

  it('a takeover whose taker died midway (marker left, lock not replaced) is finished by the next contender', async () => {
    const dir = path.join(tempDir(), 'data');
    const lockFile = path.join(dir, LOCK);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(lockFile, String(deadPid()));
    const stale = readLockFile(lockFile)!;
    fs.writeFileSync(`${lockFile}.takeover-${stale.id}-1`, String(deadPid())); // its taker was killed here
    const release = await acquireDataDirLock(dir, 0);
    expect(fs.readFileSync(lockFile, 'utf8')).toBe(String(process.pid));
    expect(fs.readdirSync(dir), 'markers are cleaned up by the new holder').toEqual([LOCK]);
    release();
  });

  it('a takeover under way in a live process is waited for, never raced', async () => {
    const dir = path.join(tempDir(), 'data');
    const lockFile = path.join(dir, LOCK);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(lockFile, String(deadPid()));
    const stale = readLockFile(lockFile)!;
    fs.writeFileSync(`${lockFile}.takeover-${stale.id}-1`, String(process.ppid)); // alive: mid-takeover
    await expect(acquireDataDirLock(dir, 200)).rejects.toMatchObject({ name: 'DataDirLockedError', pid: process.ppid });
    expect(readLockFile(lockFile)?.id, 'the stale lock was left to its taker').toBe(stale.id);
  });

  it('a second acquire in the same process waits for the first holder, and fails clearly if it does not let go', async () => {
    const dir = path.join(tempDir(), 'data');
    const lockFile = path.join(dir, LOCK);
    const release = await acquireDataDirLock(dir, 0);
    expect(fs.readFileSync(lockFile, 'utf8')).toBe(String(process.pid));

    const second = await acquireDataDirLock(dir, 200).then(
      () => 'acquired',
      (err: unknown) => err,
    );
    expect(second).toBeInstanceOf(DataDirLockedError);
    expect((second as DataDirLockedError).pid).toBe(process.pid);
    expect((second as Error).message).toMatch(/this process/);
    expect(fs.readFileSync(lockFile, 'utf8'), 'the first hold is intact').toBe(String(process.pid));

    // a waiting acquire gets the directory as soon as the first holder lets go
    const waiting = acquireDataDirLock(dir, 5000);
    await new Promise((r) => setTimeout(r, 150));
    release();
    const releaseSecond = await waiting;
    expect(fs.readFileSync(lockFile, 'utf8')).toBe(String(process.pid));
    release(); // a stale release handle is a no-op: it must not remove the second hold
    expect(fs.existsSync(lockFile)).toBe(true);
    releaseSecond();
    expect(fs.existsSync(lockFile)).toBe(false);
  });

  it('a lock holding our own pid that this process does not hold is stale (a pid reused after a restart)', async () => {
    const dir = path.join(tempDir(), 'data');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, LOCK), String(process.pid));
    const release = await acquireDataDirLock(dir, 0);
    release();
    expect(fs.existsSync(path.join(dir, LOCK))).toBe(false);
  });

  it('release leaves a lock file that is no longer ours', async () => {
    const dir = path.join(tempDir(), 'data');
    const lockFile = path.join(dir, LOCK);
    const release = await acquireDataDirLock(dir, 0);
    fs.rmSync(lockFile);
    fs.writeFileSync(lockFile, String(process.ppid)); // someone else's, written after ours vanished
    release();
    expect(fs.readFileSync(lockFile, 'utf8')).toBe(String(process.ppid));
  });

  it('a live owner in another process makes acquire wait, then fail with DataDirLockedError', async () => {
    const dir = path.join(tempDir(), 'data');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, LOCK), String(process.ppid)); // the vitest main process: alive
    const started = Date.now();
    await expect(acquireDataDirLock(dir, 300)).rejects.toMatchObject({ name: 'DataDirLockedError', pid: process.ppid });
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });

  it('a lock file with no pid yet is being written: never stolen while young, taken over once old', async () => {
    const dir = path.join(tempDir(), 'data');
    const lockFile = path.join(dir, LOCK);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(lockFile, '');
    let done = false;
    const acquiring = acquireDataDirLock(dir, 0).then((release) => {
      done = true;
      return release;
    });
    await new Promise((r) => setTimeout(r, 500));
    expect(done).toBe(false);
    expect(fs.readFileSync(lockFile, 'utf8')).toBe('');
    const release = await acquiring; // once the empty file is 2 s old, its writer is presumed dead
    expect(fs.readFileSync(lockFile, 'utf8')).toBe(String(process.pid));
    release();
  });
});
