/**
 * Child worker processes for the fault tests (test/fault/worker-process.ts), with their stdout
 * protocol and the shared, fsynced execution log they write.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { ExecutionRecord, FaultConfig } from './worker-process.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SCRIPT = path.join(HERE, 'worker-process.ts');
const REPO = path.resolve(HERE, '../..');
const STEP_MS = 20_000; // ceiling for any single wait on a child

export interface Child {
  proc: ChildProcess;
  lines: string[];
  stderr: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The first stdout line starting with `prefix` (waiting for it if needed); its remainder. */
  waitFor(prefix: string, ms?: number): Promise<string>;
}

const children = new Set<ChildProcess>();

export function spawnWorker(config: FaultConfig): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', SCRIPT, JSON.stringify(config)], {
    cwd: REPO,
    env: { ...process.env, HOTMESH_TEST_BACKEND: config.backend },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(proc);
  const lines: string[] = [];
  const stderr: string[] = [];
  const waiters = new Set<() => void>();
  readline.createInterface({ input: proc.stdout! }).on('line', (line) => {
    lines.push(line);
    for (const w of [...waiters]) w();
  });
  readline.createInterface({ input: proc.stderr! }).on('line', (line) => stderr.push(line));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('exit', (code, signal) => {
      children.delete(proc);
      resolve({ code, signal });
      for (const w of [...waiters]) w();
    }),
  );
  const describeChild = () =>
    `pid ${proc.pid} (${config.mode}/${config.scenario}); stdout: ${JSON.stringify(lines)}; stderr: ${stderr.join('\n')}`;
  const waitFor = (prefix: string, ms = STEP_MS) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const line = lines.find((l) => l.startsWith(prefix));
        if (line !== undefined) return done(() => resolve(line.slice(prefix.length).trim()));
        if (proc.exitCode !== null || proc.signalCode !== null) {
          return done(() => reject(new Error(`child exited before printing '${prefix}': ${describeChild()}`)));
        }
      };
      const timer = setTimeout(() => done(() => reject(new Error(`timed out waiting for '${prefix}' from ${describeChild()}`))), ms);
      const done = (settle: () => void) => {
        clearTimeout(timer);
        waiters.delete(check);
        settle();
      };
      waiters.add(check);
      check();
    });
  return { proc, lines, stderr, exited, waitFor };
}

export function readLog(file: string): ExecutionRecord[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as ExecutionRecord);
}

/** SIGKILL every child still running (a stopped one too), and wait until each is reaped. */
export async function killChildren(): Promise<void> {
  for (const proc of [...children]) {
    proc.kill('SIGKILL');
    await new Promise((resolve) => (proc.exitCode !== null || proc.signalCode !== null ? resolve(null) : proc.once('exit', resolve)));
  }
  children.clear();
}
