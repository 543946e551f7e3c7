/**
 * The test side of a fault-test child process: spawn it with its JSON config as the one argument,
 * collect its stdout lines (the protocol: `READY`, `RESULT <json>`, ...) and stderr, wait for a line,
 * write commands to its stdin, SIGKILL it, and make sure none outlives the test file.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
/**
 * Ceiling for any single wait on a child. A PGlite child opens its directory and migrates before its
 * first line: 6-15 s on a loaded 2-core box, and once more than 20 s (the old ceiling) in a full-suite
 * run on a slower day. A ceiling only: a passing wait returns as soon as the line comes.
 */
const STEP_MS = 45_000;

export interface Child {
  proc: ChildProcess;
  lines: string[];
  stderr: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The first stdout line starting with `prefix` (waiting for it if needed); its remainder, trimmed. */
  waitFor(prefix: string, ms?: number): Promise<string>;
  /** Write one line to the child's stdin. */
  send(line: string): void;
  /** Call `listener` with every stdout line from now on, as it arrives. */
  onLine(listener: (line: string) => void): void;
  /** Its pid, label, last stdout lines and stderr: for failure messages. */
  describe(): string;
}

export interface SpawnOptions {
  /** Shown in failure messages (e.g. `start/sleep`). */
  label?: string;
  env?: Record<string, string>;
  /** A stdout line starting with this means the child failed: waitFor rejects at once with it. */
  failOn?: string;
}

const alive = new Set<ChildProcess>();

/** `node --import tsx <script> '<json config>'`, from the repository root. */
export function spawnChild(script: string, config: unknown, options: SpawnOptions = {}): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', script, JSON.stringify(config)], {
    cwd: REPO,
    env: { ...process.env, ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  alive.add(proc);
  const lines: string[] = [];
  const stderr: string[] = [];
  const waiters = new Set<() => void>();
  const listeners: Array<(line: string) => void> = [];
  const notify = () => {
    for (const w of [...waiters]) w();
  };
  readline.createInterface({ input: proc.stdout! }).on('line', (line) => {
    lines.push(line);
    for (const l of listeners) l(line);
    notify();
  });
  readline.createInterface({ input: proc.stderr! }).on('line', (line) => stderr.push(line));
  proc.stdin!.on('error', () => {}); // a child that died cannot read: the test fails on what it waits for
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('exit', (code, signal) => {
      alive.delete(proc);
      resolve({ code, signal });
      notify();
    }),
  );
  const describe = () =>
    `pid ${proc.pid}${options.label ? ` (${options.label})` : ''}; stdout: ${JSON.stringify(lines.slice(-20))}; stderr: ${stderr.join('\n')}`;
  const waitFor = (prefix: string, ms = STEP_MS) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const failed = options.failOn ? lines.find((l) => l.startsWith(options.failOn!)) : undefined;
        if (failed !== undefined) return done(() => reject(new Error(`child reported ${failed}; ${describe()}`)));
        const line = lines.find((l) => l.startsWith(prefix));
        if (line !== undefined) return done(() => resolve(line.slice(prefix.length).trim()));
        if (proc.exitCode !== null || proc.signalCode !== null) {
          return done(() => reject(new Error(`child exited before printing '${prefix}': ${describe()}`)));
        }
      };
      const timer = setTimeout(() => done(() => reject(new Error(`timed out waiting for '${prefix}' from ${describe()}`))), ms);
      const done = (settle: () => void) => {
        clearTimeout(timer);
        waiters.delete(check);
        settle();
      };
      waiters.add(check);
      check();
    });
  const send = (line: string) => void proc.stdin!.write(`${line}\n`);
  const onLine = (listener: (line: string) => void) => void listeners.push(listener);
  return { proc, lines, stderr, exited, waitFor, send, onLine, describe };
}

/** SIGKILL a child and wait until the OS has reaped it. */
export async function sigkill(child: Child): Promise<void> {
  expect(child.proc.kill('SIGKILL')).toBe(true);
  const { code, signal } = await child.exited;
  expect(code).toBeNull();
  expect(signal).toBe('SIGKILL');
}

/** The child's `RESULT <json>`, after it exits with code 0. */
export async function resultOf(child: Child): Promise<any> {
  const json = await child.waitFor('RESULT ');
  const { code } = await child.exited;
  expect(code, child.describe()).toBe(0);
  return JSON.parse(json);
}

/** SIGKILL every child still running (for afterEach / afterAll: never leave one behind). */
export async function killChildren(): Promise<void> {
  await Promise.all(
    [...alive].map(async (proc) => {
      if (proc.exitCode === null && proc.signalCode === null) {
        const gone = new Promise((resolve) => proc.once('exit', resolve));
        proc.kill('SIGKILL');
        await gone;
      }
      alive.delete(proc);
    }),
  );
}
