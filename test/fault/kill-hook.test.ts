/**
 * Crash recovery in the middle of a HOOK, with real processes and SIGKILL: the hook's worker process
 * dies while an activity inside the hook runs, after several of the hook's context ops committed
 * (one of them in the same delivery wave as the activity). Another process takes the hook over and
 * replays it from its journal. No committed context op may be applied twice, and no committed
 * activity may run again.
 *
 * The hook (test/fault/hook-process.ts) does, on a context seeded with `{ counter: 0, log: ['seed'] }`:
 *   increment 1, append label, step h1, [increment 10 + append h1], [step h2 + increment 100],
 *   append h2, increment 1000, get, signal
 * and A is killed inside h2. The counter steps are powers of ten, so a doubled op shows in the value.
 *
 * Two ways in: the main workflow runs the hook with execHook and waits for it (then does one more
 * op), or a client starts the hook with handle.hook on a job whose main function already finished.
 *
 * - postgres: B serves the app before A is killed and takes the hook over when A's lease (2 s) runs out.
 * - pglite: B opens the data directory only after A is dead (taking over A's stale lock).
 * In both, once B has exited the test process opens the database itself and checks what is stored.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { MemFlow } from '../../src/index.js';
import { backend, POSTGRES_URL, testConnection } from '../support/backend.js';
import { type Child, killChildren, resultOf, sigkill, spawnChild } from './support/child-process.js';
import { pidsOf, readLog } from './support/execution-log.js';
import { Scratch } from './support/scratch.js';
import type { ContextLogRow, HookExecutionRecord, HookFaultConfig, Snapshot } from './hook-process.js';

const SCRIPT = new URL('./hook-process.ts', import.meta.url).pathname;
const LEASE_SECONDS = 2;
const TASK_QUEUE = 'hookfault'; // as in hook-process.ts

type Base = Omit<HookFaultConfig, 'mode'>;

const scratch = new Scratch();

function spawnHookWorker(config: HookFaultConfig): Child {
  return spawnChild(SCRIPT, config, { label: `${config.mode}/${config.start}`, env: { HOTMESH_TEST_BACKEND: config.backend } });
}

/**
 * PGlite: the tests of this file share one data directory (each with its own app, so its own schema):
 * creating a PGlite database costs seconds, and the directory is used by one process at a time anyway.
 */
let sharedDataDir: string | undefined;

function setup(start: HookFaultConfig['start']): Base {
  const dir = scratch.dir(`fault-hook-${start}`);
  if (backend === 'pglite') sharedDataDir ??= path.join(dir, 'data');
  return {
    start,
    appId: scratch.appId(`fault-hook-${start}`),
    backend,
    dataDir: sharedDataDir,
    url: backend === 'postgres' ? POSTGRES_URL : undefined,
    workflowId: `fault-hook-${start}-${path.basename(dir).slice(-6)}`,
    logFile: path.join(dir, 'executions.jsonl'),
    leaseSeconds: LEASE_SECONDS,
  };
}

/**
 * Kill A inside the hook, and have B take it over (postgres: B already serving; pglite: B after A).
 * A waits inside an activity that never ends by itself, so B's start-up time cannot race anything.
 */
async function killAndTakeOver(a: Child, base: Base): Promise<Child> {
  let b: Child | undefined;
  if (backend === 'postgres') {
    b = spawnHookWorker({ ...base, mode: 'resume' });
    await b.waitFor('READY');
  }
  await sigkill(a);
  if (backend === 'pglite') {
    expect(fs.readFileSync(path.join(base.dataDir!, 'hotmesh.lock'), 'utf8')).toBe(String(a.proc.pid));
    b = spawnHookWorker({ ...base, mode: 'resume' });
  }
  return b!;
}

interface Stored {
  context: unknown;
  version: number;
  history: ContextLogRow[];
  /** The raw context_log rows, straight from SQL. */
  contextLog: ContextLogRow[];
  hookJournal: string[];
  hookThreadRow: { status: string; output: unknown; failures: number };
  jobResult: unknown;
}

/** After every child is gone: open the database from the test process and read what it holds. */
async function readStored(base: Base, hookThread: string, mainName: string): Promise<Stored> {
  const connection = backend === 'postgres' ? testConnection() : { dataDir: base.dataDir! };
  const mf = await MemFlow.init({ appId: base.appId, engine: { connection } });
  try {
    const handle = await mf.workflow.getHandle(TASK_QUEUE, mainName, base.workflowId);
    const memory = handle.context();
    const engine = await mf.client.engine(base.appId);
    const schema = `"${engine.schema}"`;
    const log = await engine.driver.query<{ version: string; op: string; path: string[]; arg: unknown; actor: string }>(
      `SELECT l.version::text AS version, l.op, l.path, l.arg, l.actor FROM ${schema}.context_log l WHERE l.job_id = $1 ORDER BY l.version`,
      [base.workflowId],
    );
    const journal = await engine.driver.query<{ seq: number; kind: string; name: string; status: string }>(
      `SELECT seq, kind, name, status FROM ${schema}.journal WHERE job_id = $1 AND thread = $2 ORDER BY seq`,
      [base.workflowId, hookThread],
    );
    const thread = await engine.driver.query<{ status: string; output: unknown; failures: number }>(
      `SELECT status, output, failures FROM ${schema}.threads WHERE job_id = $1 AND thread = $2`,
      [base.workflowId, hookThread],
    );
    return {
      context: await memory.get(),
      version: await memory.version(),
      history: (await memory.history()).map((c) => ({ version: c.version, op: c.op, path: c.path, arg: c.arg, actor: c.actor })),
      contextLog: log.rows.map((r) => ({ version: Number(r.version), op: r.op, path: r.path, arg: r.arg, actor: r.actor })),
      hookJournal: journal.rows.map((r) => `${r.seq} ${r.kind} ${r.name} ${r.status}`),
      hookThreadRow: thread.rows[0]!,
      jobResult: await handle.result(),
    };
  } finally {
    await mf.shutdown();
  }
}

type Op = Omit<ContextLogRow, 'version'>;
const op = (actor: string, name: string, p: string[], arg: unknown): Op => ({ op: name, path: p, arg, actor });
/** JSON with object keys sorted (JSONB does not keep key order). */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).sort().map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}
const key = (o: Op) => canonical([o.op, o.path, o.arg, o.actor]);

/**
 * The context history, wave by wave. Ops of one delivery wave run concurrently, so their commit
 * order is free; between waves the order is fixed. Each op appears exactly once, versions are 1..n.
 */
function expectHistory(history: ContextLogRow[], waves: Op[][]): void {
  const total = waves.reduce((n, w) => n + w.length, 0);
  expect(history.map((h) => h.version)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
  let at = 0;
  for (const wave of waves) {
    const got = history.slice(at, at + wave.length).map(({ version: _v, ...rest }) => key(rest)).sort();
    expect(got, `wave at version ${at + 1}`).toEqual(wave.map(key).sort());
    at += wave.length;
  }
  // and, whatever the order: no op twice
  const keys = history.map(({ version: _v, ...rest }) => key(rest));
  expect(new Set(keys).size).toBe(keys.length);
}

/** The seed and the hook's ops, in waves, as the hook thread `h` makes them. */
function hookWaves(h: string): { beforeKill: Op[][]; afterKill: Op[][] } {
  return {
    beforeKill: [
      [op('main', 'set', [], { counter: 0, log: ['seed'] })],
      [op(h, 'increment', ['counter'], 1)],
      [op(h, 'append', ['log'], 'a')],
      [op(h, 'increment', ['counter'], 10), op(h, 'append', ['log'], 'h1:done')],
      [op(h, 'increment', ['counter'], 100)], // same wave as step h2, which A never finished
    ],
    afterKill: [[op(h, 'append', ['log'], 'h2:done')], [op(h, 'increment', ['counter'], 1000)]],
  };
}

const JOURNAL_BEFORE_KILL = [
  '1 context increment done',
  '2 context append done',
  '3 activity step done',
  '4 context increment done',
  '5 context append done',
  // seq 6 is step h2: running in A when it dies, so not journaled
  '7 context increment done',
];
const JOURNAL_FINAL = [
  '1 context increment done',
  '2 context append done',
  '3 activity step done',
  '4 context increment done',
  '5 context append done',
  '6 activity step done',
  '7 context increment done',
  '8 context append done',
  '9 context increment done',
  '10 context get done',
  '11 signal counter-hook-done done',
];
const HOOK_SUMMARY = { counter: 1111, log: ['seed', 'a', 'h1:done', 'h2:done'] };

/** A is in the hook's second activity; what had committed then. */
function expectSnapshot(snap: Snapshot, hookThread: string): void {
  expect(snap.context).toEqual({ counter: 111, log: ['seed', 'a', 'h1:done'] });
  expect(snap.contextVersion).toBe(6);
  expectHistory(snap.contextLog, hookWaves(hookThread).beforeKill);
  expect(snap.hookJournal).toEqual(JOURNAL_BEFORE_KILL);
}

/** Activities: h1 committed in A and never ran again; h2 started in A, ran again once in B, same key. */
function expectExecutions(base: Base, hookThread: string, a: Child, b: Child): void {
  const log = readLog<HookExecutionRecord>(base.logFile);
  expect(pidsOf(log, 'start', 'h1')).toEqual([a.proc.pid]);
  expect(pidsOf(log, 'end', 'h1')).toEqual([a.proc.pid]);
  expect(pidsOf(log, 'start', 'h2')).toEqual([a.proc.pid, b.proc.pid]);
  expect(pidsOf(log, 'end', 'h2')).toEqual([b.proc.pid]);
  expect(log).toHaveLength(5);
  expect(new Set(log.map((r) => r.thread))).toEqual(new Set([hookThread]));
  expect(log.filter((r) => r.arg === 'h1').map((r) => r.key)).toEqual(Array(2).fill(`${base.appId}:${base.workflowId}:${hookThread}:3`));
  expect(log.filter((r) => r.arg === 'h2').map((r) => r.key)).toEqual(Array(3).fill(`${base.appId}:${base.workflowId}:${hookThread}:6`));
}

/** Each test: two child processes load (on PGlite, one after the other) and the scenario; over 60 s once in a full run. */
const TEST_MS = 150_000;

afterEach(killChildren); // never leave a child behind, whatever happened in the test
afterAll(() => scratch.cleanup());

describe(`crash recovery inside a hook (${backend})`, () => {
  it('a hook run by execHook, SIGKILLed mid-activity, is resumed elsewhere; no committed context op applies twice', async () => {
    const base = setup('exec');
    const a = spawnHookWorker({ ...base, mode: 'start', hangOn: 'h2' });
    expect(await a.waitFor('STARTED ')).toBe(base.workflowId);
    const hookThread = await a.waitFor('HOOK ');
    expect(hookThread).toBe('main/2'); // execHook is the main thread's 2nd durable call
    expect(await a.waitFor('RUNNING ')).toBe('h2');
    expectSnapshot(JSON.parse(await a.waitFor('SNAPSHOT ')), hookThread);

    const b = await killAndTakeOver(a, base);
    const expected = { reply: HOOK_SUMMARY, log: [...HOOK_SUMMARY.log, 'after-hook'] };
    expect(await resultOf(b)).toEqual(expected);

    const stored = await readStored(base, hookThread, 'seeded');
    expect(stored.jobResult).toEqual(expected);
    expect(stored.context).toEqual({ counter: 1111, log: ['seed', 'a', 'h1:done', 'h2:done', 'after-hook'] });
    const { beforeKill, afterKill } = hookWaves(hookThread);
    const waves = [...beforeKill, ...afterKill, [op('main', 'append', ['log'], 'after-hook')]];
    expect(stored.version).toBe(9);
    expectHistory(stored.history, waves);
    expectHistory(stored.contextLog, waves);
    expect(stored.hookJournal).toEqual(JOURNAL_FINAL);
    expect(stored.hookThreadRow).toMatchObject({ status: 'completed', output: HOOK_SUMMARY, failures: 0 });
    expectExecutions(base, hookThread, a, b);
  }, TEST_MS);

  it('a hook started from outside on a finished job, SIGKILLed mid-activity, is resumed elsewhere exactly once', async () => {
    const base = setup('outside');
    const a = spawnHookWorker({ ...base, mode: 'start', hangOn: 'h2' });
    expect(await a.waitFor('STARTED ')).toBe(base.workflowId);
    const hookThread = await a.waitFor('HOOK ');
    expect(hookThread).toMatch(/^hook-/);
    expect(await a.waitFor('RUNNING ')).toBe('h2');
    expectSnapshot(JSON.parse(await a.waitFor('SNAPSHOT ')), hookThread);

    const b = await killAndTakeOver(a, { ...base, hookThread });
    expect(await resultOf(b)).toEqual({ status: 'completed', output: HOOK_SUMMARY, error: null });

    const stored = await readStored(base, hookThread, 'holder');
    expect(stored.jobResult).toBe('seeded'); // the main function's result, untouched by the hook
    expect(stored.context).toEqual(HOOK_SUMMARY);
    const { beforeKill, afterKill } = hookWaves(hookThread);
    expect(stored.version).toBe(8);
    expectHistory(stored.history, [...beforeKill, ...afterKill]);
    expectHistory(stored.contextLog, [...beforeKill, ...afterKill]);
    expect(stored.hookJournal).toEqual(JOURNAL_FINAL);
    expect(stored.hookThreadRow).toMatchObject({ status: 'completed', output: HOOK_SUMMARY, failures: 0 });
    expectExecutions(base, hookThread, a, b);
  }, TEST_MS);
});
