/**
 * Crash recovery with real processes and real signals: a worker process is SIGKILLed in the middle of
 * a durable sleep, or in the middle of an activity, and a fresh process takes the job over.
 *
 * - postgres: the second process (B) is already serving the app when the first (A) is killed, and
 *   takes the task over when A's lease (2 s) runs out; the test process also awaits the result. B
 *   is spawned with A and waits, loaded, until A is where it is to be killed: then it serves, and A
 *   is killed a few milliseconds later. (Spawning B only then took it most of A's sleep (3 s then)
 *   under load, 654 ms short of a false failure once; the sleep is 8 s now.)
 * - pglite: the data directory serves one process at a time, so B opens it only after A is dead (the
 *   lock A left behind is stale and taken over). The test process never opens that directory.
 *
 * Activity executions are counted durably (one fsynced line per start and per end, in a file of the
 * test's own temp dir), so "ran exactly once" survives the kill.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { MemFlow } from '../../src/index.js';
import { backend, POSTGRES_URL, testConnection } from '../support/backend.js';
import { type Child, killChildren, resultOf, sigkill, spawnChild } from './support/child-process.js';
import { pidsOf, readLog } from './support/execution-log.js';
import { Scratch } from './support/scratch.js';
import type { ExecutionRecord, FaultConfig } from './worker-process.js';

const SCRIPT = new URL('./worker-process.ts', import.meta.url).pathname;
const LEASE_SECONDS = 2;
/** Long enough that B serves and A is killed well before it ends, on a machine a full suite keeps busy. */
const SLEEP_SECONDS = 8;
/**
 * How long a child may take to load (start, open its database, migrate): once more than 45 s in a
 * full-suite run, beside other files that run processes. A ceiling only.
 */
const LOAD_MS = 60_000;
/** Each test: two loads and the scenario. */
const TEST_MS = 150_000;

const scratch = new Scratch();
type Base = Omit<FaultConfig, 'mode'>;

function spawnWorker(config: FaultConfig): Child {
  return spawnChild(SCRIPT, config, { label: `${config.mode}/${config.scenario}`, env: { HOTMESH_TEST_BACKEND: config.backend } });
}

function count(log: ExecutionRecord[], ev: ExecutionRecord['ev'], arg: string): number {
  return log.filter((r) => r.ev === ev && r.arg === arg).length;
}

/** A fresh scenario: its own app, temp dir, execution log, and (pglite) data directory. */
function setup(scenario: FaultConfig['scenario']): Base {
  const dir = scratch.dir(`fault-${scenario}`);
  return {
    scenario,
    appId: scratch.appId(`fault-${scenario}`),
    backend,
    dataDir: backend === 'pglite' ? path.join(dir, 'data') : undefined,
    url: backend === 'postgres' ? POSTGRES_URL : undefined,
    workflowId: `fault-${scenario}-${path.basename(dir).slice(-6)}`,
    logFile: path.join(dir, 'executions.jsonl'),
    leaseSeconds: LEASE_SECONDS,
    sleepSeconds: SLEEP_SECONDS,
  };
}

/**
 * A (`start`) and, on postgres, B (`resume`), loaded side by side; A is then told to serve and start
 * the job, while B waits, loaded but not serving, until A is where it is to be killed.
 */
async function spawnPair(base: Base, hangOn?: string): Promise<{ a: Child; standby: Child | undefined }> {
  const a = spawnWorker({ ...base, mode: 'start', standby: true, hangOn });
  const standby = backend === 'postgres' ? spawnWorker({ ...base, mode: 'resume', standby: true }) : undefined;
  await Promise.all([a.waitFor('LOADED', LOAD_MS), standby?.waitFor('LOADED', LOAD_MS)]);
  a.send('serve');
  return { a, standby };
}

/**
 * Kill A, and have B take the job over: on postgres B (on standby) serves before A dies; on pglite B
 * opens the data directory only after A is gone. Returns B and the moment A was killed.
 */
async function killAndTakeOver(a: Child, standby: Child | undefined, base: Base): Promise<{ b: Child; killedAt: number }> {
  let b = standby;
  if (b) {
    b.send('serve');
    await b.waitFor('READY');
  }
  const killedAt = Date.now();
  await sigkill(a);
  if (backend === 'pglite') {
    // A's lock file is left behind with a dead pid: B must take it over, not refuse to start.
    expect(fs.readFileSync(path.join(base.dataDir!, 'hotmesh.lock'), 'utf8')).toBe(String(a.proc.pid));
    b = spawnWorker({ ...base, mode: 'resume' });
  }
  return { b: b!, killedAt };
}

/** Postgres only: the test process itself also waits for the job's result, as a third process. */
async function resultSeenByTestProcess(base: Base, workflowName: string): Promise<unknown> {
  const mf = await MemFlow.init({ appId: base.appId, engine: { connection: testConnection() } });
  try {
    const handle = await mf.workflow.getHandle('fault', workflowName, base.workflowId);
    return await handle.result();
  } finally {
    await mf.shutdown();
  }
}

afterEach(killChildren); // never leave a child behind, whatever happened in the test
afterAll(() => scratch.cleanup());

describe(`crash recovery with real processes (${backend})`, () => {
  it('a worker SIGKILLed during sleepFor is taken over by another process; the workflow completes', async () => {
    const base = setup('sleep');
    const { a, standby } = await spawnPair(base);
    expect(await a.waitFor('STARTED ')).toBe(base.workflowId);
    const dueMs = Number(await a.waitFor('SLEEPING '));
    expect(Number.isFinite(dueMs)).toBe(true);

    const { b, killedAt } = await killAndTakeOver(a, standby, base);
    // A really died mid-sleep: the timer was not yet due when the signal was sent.
    expect(killedAt).toBeLessThan(dueMs);

    const expected = { before: 'before:done', slept: SLEEP_SECONDS, after: 'after:done' };
    const [fromB, fromTest] = await Promise.all([
      resultOf(b),
      backend === 'postgres' ? resultSeenByTestProcess(base, 'sleeper') : Promise.resolve(undefined),
    ]);
    expect(fromB).toEqual(expected);
    if (backend === 'postgres') expect(fromTest).toEqual(expected);

    const log = readLog<ExecutionRecord>(base.logFile);
    // The step before the sleep committed in A and was not run again; the step after ran once, in B.
    expect(pidsOf(log, 'start', 'before')).toEqual([a.proc.pid]);
    expect(pidsOf(log, 'end', 'before')).toEqual([a.proc.pid]);
    expect(pidsOf(log, 'start', 'after')).toEqual([b.proc.pid]);
    expect(pidsOf(log, 'end', 'after')).toEqual([b.proc.pid]);
    expect(log).toHaveLength(4);
    // The sleep was honoured across the crash: nothing after it ran before its due time.
    const afterAt = log.find((r) => r.ev === 'start' && r.arg === 'after')!.at;
    expect(afterAt).toBeGreaterThanOrEqual(Math.floor(dueMs));
  }, TEST_MS);

  it('a worker SIGKILLed mid-activity is taken over; committed activities are not run again', async () => {
    const base = setup('activity');
    const { a, standby } = await spawnPair(base, 'three');
    expect(await a.waitFor('STARTED ')).toBe(base.workflowId);
    expect(await a.waitFor('RUNNING ')).toBe('step three');

    // When A dies, 'one', 'two-a' and 'two-b' have committed and 'three' is still running.
    const before = readLog<ExecutionRecord>(base.logFile);
    expect(before.map((r) => `${r.ev} ${r.arg}`).sort()).toEqual(
      ['start one', 'end one', 'start two-a', 'end two-a', 'start two-b', 'end two-b', 'start three'].sort(),
    );

    const { b } = await killAndTakeOver(a, standby, base);
    const expected = ['one:done', 'two-a:done', 'two-b:done', 'three:done', 'four:done'];
    const [fromB, fromTest] = await Promise.all([
      resultOf(b),
      backend === 'postgres' ? resultSeenByTestProcess(base, 'pipeline') : Promise.resolve(undefined),
    ]);
    expect(fromB).toEqual(expected);
    if (backend === 'postgres') expect(fromTest).toEqual(expected);

    const log = readLog<ExecutionRecord>(base.logFile);
    // Each step whose result had committed before the kill ran exactly once, in A.
    for (const arg of ['one', 'two-a', 'two-b']) {
      expect(pidsOf(log, 'start', arg), arg).toEqual([a.proc.pid]);
      expect(pidsOf(log, 'end', arg), arg).toEqual([a.proc.pid]);
    }
    // The interrupted step: started in A (never finished there), run again once in B. At most twice.
    expect(pidsOf(log, 'start', 'three')).toEqual([a.proc.pid, b.proc.pid]);
    expect(pidsOf(log, 'end', 'three')).toEqual([b.proc.pid]);
    expect(count(log, 'start', 'three')).toBeLessThanOrEqual(2);
    // Both executions of 'three' are the same durable call (same idempotency key).
    const keys = log.filter((r) => r.arg === 'three').map((r) => r.key);
    expect(new Set(keys).size).toBe(1);
    expect(keys[0]).toBe(`${base.appId}:${base.workflowId}:main:${4}`);
    // The step after the interruption ran once, in B.
    expect(pidsOf(log, 'start', 'four')).toEqual([b.proc.pid]);
    expect(pidsOf(log, 'end', 'four')).toEqual([b.proc.pid]);
    expect(log).toHaveLength(11);
  }, TEST_MS);
});
