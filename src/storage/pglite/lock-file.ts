/**
 * The file steps under data-dir-lock.ts. Each one is a single atomic filesystem call; the lock is
 * only as sound as that, so here is why the steps are enough.
 *
 * Taking a free lock: the pid is written to a fresh temporary file, which is then hard-linked to
 * `hotmesh.lock`. link() fails with EEXIST if the name exists, so exactly one contender creates
 * it, and the lock file is never seen without its pid (the former `wx` write left a window where
 * it was empty).
 *
 * Taking over a stale lock (its owner died): the former read pid → check → remove → create let two
 * contenders that both read the dead pid both remove and recreate, the second deleting the first's
 * fresh lock (8 processes: 2 of 9 trials had two holders). Removing a file "if it is still the one
 * I read" is not atomic, so takeovers of one stale file are serialised instead, by markers:
 *
 * - The stale file is identified by inode and change times (`id`), never by its pid alone.
 * - To replace it, a contender must create the marker `hotmesh.lock.takeover-<id>-1` (same
 *   link-from-temp step, so one creator per level). Under it, it checks that `hotmesh.lock` still
 *   has that id and a dead owner, and renames its own temp file over it. Nothing else can change
 *   the file between the check and the rename: its owner is dead, no new lock can be linked while
 *   it exists, and any other taker of the same id needs the same marker.
 * - A marker whose creator is alive means a takeover is under way: wait. A marker whose creator died
 *   (killed between marker and rename) is passed by creating level 2, and so on. Each level has one
 *   creator, and a level is passed only when every lower creator is dead, so at most one live
 *   process ever acts on a given stale file; once the file is replaced, every other taker's id check
 *   fails. The new holder removes the markers (they can only ever act on a file that is gone).
 *
 * A live pid reused by an unrelated process keeps a stale lock (or marker) alive: the caller then
 * gets DataDirLockedError naming that pid, never a second holder. The data directory must be on a
 * filesystem with hard links (link() errors other than EEXIST are thrown as they are).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export interface LockFile {
  /** Identity of this very file: inode plus modification and change times. */
  id: string;
  ino: bigint;
  /** The pid written in it; undefined if it has none (a writer of an older build died mid-write). */
  pid: number | undefined;
  ageMs: number;
}

/** Is `pid` a live process? EPERM: it exists, owned by another user. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function readLockFile(file: string): LockFile | undefined {
  try {
    // stat, then read: a file's pid never changes once it is linked in (old-format writers change
    // the mtime when they write it, so its id changes with it)
    const st = fs.statSync(file, { bigint: true });
    const text = fs.readFileSync(file, 'utf8').trim();
    return {
      id: `${st.ino}-${st.mtimeNs}-${st.ctimeNs}`,
      ino: st.ino,
      pid: /^[1-9][0-9]*$/.test(text) ? Number(text) : undefined,
      ageMs: Date.now() - Number(st.mtimeMs),
    };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * A new file holding our pid, to be linked or renamed into place. Named `<lock>.tmp-<pid>-…` (for
 * markers too), so that removeLeftovers can tell a live writer's temp file from a dead one's.
 */
function writeTemp(lockPath: string): string {
  const temp = `${lockPath}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  fs.writeFileSync(temp, String(process.pid), { flag: 'wx' });
  return temp;
}

/** Create `target` (the lock or a marker) holding our pid, all or nothing. Its inode, or undefined if it exists. */
export function createExclusive(lockPath: string, target = lockPath): bigint | undefined {
  const temp = writeTemp(lockPath);
  try {
    fs.linkSync(temp, target);
    return fs.statSync(temp, { bigint: true }).ino;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
    throw err;
  } finally {
    fs.rmSync(temp, { force: true });
  }
}

export type TakeOver = { ino: bigint } | { changed: true } | { busy: number | undefined };

/**
 * Replace the stale lock file `stale` (read from `lockPath`) with ours, under the markers described
 * above. `dead` judges a lock's owner or a marker's creator. Outcomes: we hold the lock (its inode);
 * the file is no longer `stale` (look again); or a live process is taking it over right now (wait).
 */
export function takeOver(lockPath: string, stale: LockFile, dead: (file: LockFile) => boolean): TakeOver {
  for (let level = 1; ; level++) {
    const marker = `${lockPath}.takeover-${stale.id}-${level}`;
    if (createExclusive(lockPath, marker) !== undefined) {
      const temp = writeTemp(lockPath);
      const current = readLockFile(lockPath);
      // the owner is judged again too: with coarse file times, a newer lock could reuse the inode and times
      if (current?.id !== stale.id || !dead(current)) {
        fs.rmSync(temp, { force: true });
        fs.rmSync(marker, { force: true }); // it guards a file that is gone
        return { changed: true };
      }
      const ino = fs.statSync(temp, { bigint: true }).ino;
      fs.renameSync(temp, lockPath);
      return { ino };
    }
    const taker = readLockFile(marker);
    if (!taker) return { changed: true }; // removed by a new holder
    if (!dead(taker)) return { busy: taker.pid };
  }
}

/** After taking the lock: markers (which can only act on files that are gone) and dead writers' temp files. */
export function removeLeftovers(lockPath: string): void {
  const dir = path.dirname(lockPath);
  const base = path.basename(lockPath);
  for (const name of fs.readdirSync(dir)) {
    if (!name.startsWith(`${base}.`)) continue;
    const temp = /^\.tmp-([0-9]+)-/.exec(name.slice(base.length));
    const pid = temp ? Number(temp[1]) : undefined;
    // our own temp files are all gone by now: every step above is synchronous
    if (name.startsWith(`${base}.takeover-`) || (pid !== undefined && (pid === process.pid || !alive(pid)))) {
      fs.rmSync(path.join(dir, name), { force: true });
    }
  }
}
