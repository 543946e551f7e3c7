/**
 * PGlite takes no lock on its data directory, and two processes writing one directory corrupt it
 * silently (measured: 184 rows missing from the primary-key index after two concurrent writers).
 * So we take one: a `hotmesh.lock` file holding the owner's pid (the atomic steps, and why they are
 * enough, are in lock-file.ts).
 *
 * - A lock left by a dead process (kill -9) is taken over, by one contender only.
 * - A live owner gets a DataDirLockedError telling the user to run several processes on PostgreSQL,
 *   after waiting up to HOTMESH_LOCK_WAIT_MS (default 5000) for it to let go, so a restart whose old
 *   process is still shutting down does not fail.
 * - A lock file with no pid (written by an older build, which created it empty first): wait, and
 *   take it over only once it is 2 s old.
 * - Within one process the lock is not shared: a second acquire of a held directory waits like any
 *   other contender, then fails. Each acquire opens its own PGlite on the directory (the driver is
 *   shared per path, but a reopen while the old driver is closing, or the same directory under a
 *   second path, would be two writers), so a shared, counted hold would admit exactly the
 *   corruption the lock is for. Our own pid in a lock file this process does not hold is stale: a
 *   previous process with the same pid (pid 1 in a restarted container).
 */
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataDirLockedError } from '../../errors.js';
import { alive, createExclusive, type LockFile, readLockFile, removeLeftovers, takeOver } from './lock-file.js';

/** A lock file with no pid is presumed abandoned by its writer after this long. */
const NO_PID_GRACE_MS = 2000;

/** Data directories (real paths) this process holds. */
const held = new Set<string>();

type Attempt = { ino: bigint } | { retry: true } | { busy: number | undefined };

function dead(file: LockFile, heldHere: boolean): boolean {
  if (file.pid === undefined) return file.ageMs > NO_PID_GRACE_MS;
  if (file.pid === process.pid) return !heldHere;
  return !alive(file.pid);
}

/** One try, synchronous from start to end, so no other acquire in this process interleaves with it. */
function attempt(dir: string, lockPath: string): Attempt {
  if (held.has(dir)) return { busy: process.pid };
  const ino = createExclusive(lockPath);
  if (ino !== undefined) return { ino };
  const current = readLockFile(lockPath);
  if (!current) return { retry: true }; // released in between
  if (!dead(current, false)) return { busy: current.pid };
  const outcome = takeOver(lockPath, current, (file) => dead(file, false));
  return 'changed' in outcome ? { retry: true } : outcome;
}

export async function acquireDataDirLock(dataDir: string, waitMs = Number(process.env.HOTMESH_LOCK_WAIT_MS ?? 5000)): Promise<() => void> {
  fs.mkdirSync(dataDir, { recursive: true });
  const dir = fs.realpathSync(dataDir); // one directory, however it is named
  const lockPath = path.join(dir, 'hotmesh.lock');
  const deadline = Date.now() + waitMs;
  for (;;) {
    const result = attempt(dir, lockPath);
    if ('ino' in result) {
      held.add(dir);
      removeLeftovers(lockPath);
      return releaser(dir, lockPath, result.ino);
    }
    if ('retry' in result) continue;
    if (result.busy === undefined) {
      await sleep(20); // a pid is being written, or an old build's writer died: see NO_PID_GRACE_MS
      continue;
    }
    if (Date.now() >= deadline) throw new DataDirLockedError(path.resolve(dataDir), result.busy);
    await sleep(100);
  }
}

/** Release once; remove the lock file only if it is still the one we created. */
function releaser(dir: string, lockPath: string, ino: bigint): () => void {
  let released = false;
  return () => {
    if (released) return;
    released = true;
    held.delete(dir);
    const current = readLockFile(lockPath);
    // nobody replaces a live owner's file, so the check and the removal cannot be separated by a takeover
    if (current?.ino === ino && current.pid === process.pid) fs.rmSync(lockPath, { force: true });
  };
}
