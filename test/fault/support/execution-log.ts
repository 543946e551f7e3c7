/**
 * Activity executions counted durably across SIGKILL: each process of a test appends one JSON line per
 * event to a file of the test's own temp dir, fsynced before the activity goes on, so "ran exactly
 * once" is still countable after a crash. Used by the child processes (append) and the tests (read).
 */
import fs from 'node:fs';

/** Append `entry` as one line and fsync it. */
export function appendDurably(file: string, entry: object): void {
  const fd = fs.openSync(file, 'a');
  try {
    fs.writeSync(fd, `${JSON.stringify(entry)}\n`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Every entry in the file, in order (none if no process wrote one yet). */
export function readLog<T>(file: string): T[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as T);
}

/** The pids of the processes that logged event `ev` for the activity argument `arg`, in order. */
export function pidsOf<T extends { ev: string; arg: string; pid: number }>(log: T[], ev: T['ev'], arg: string): number[] {
  return log.filter((r) => r.ev === ev && r.arg === arg).map((r) => r.pid);
}
