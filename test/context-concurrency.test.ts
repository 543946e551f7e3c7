/**
 * Linearizability of the context ops under real concurrency, through the outside API.
 *
 * - postgres: 16 writer PROCESSES, 250 ops each with unique op ids, on ONE job: increment a counter,
 *   append a token, toggle a flag, merge a key. Everything acknowledged must be in the final document
 *   exactly once, consistent with each writer's order and with every answer (see checkContext).
 * - pglite: the embedded database serves one process, so the same check runs with 16 concurrent
 *   writers inside this process (its statements interleave, they cannot run in parallel).
 *
 * Then, on both: replayed op ids apply once and answer what they answered first (also when 8 copies
 * of one op race), and a NEGATIVE CONTROL: the same check against a read-modify-write increment
 * (get, then set v+1) run by the same 16 writers must FAIL, proving the check can see lost updates.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { MemFlow, type MemFlowInstance } from 'hotmesh';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobContext } from '../src/memflow/job-context.js';
import { canon } from './support/context-model.js';
import { backend, POSTGRES_URL, testConnection, uniqueAppId } from './support/backend.js';
import type { WriterConfig } from './support/context-writer-process.js';
import { type Ack, brokenIncrement, checkContext, issue, kindOf } from './support/context-writers.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SCRIPT = path.join(HERE, 'support', 'context-writer-process.ts');
const REPO = path.resolve(HERE, '..');

/**
 * The writers' connections skip the WAL flush wait at commit: durability on a server crash is not what
 * this test is about, and isolation and lock hand-off are unchanged. It halves the run time on a small
 * machine (every op rewrites one hot row).
 */
const WRITER_URL = `${POSTGRES_URL}${POSTGRES_URL.includes('?') ? '&' : '?'}options=${encodeURIComponent('-c synchronous_commit=off')}`;
const WRITERS = 16;
const OPS = backend === 'postgres' ? 250 : 100;
const BROKEN_OPS = backend === 'postgres' ? 50 : 25;

async function trivial(): Promise<string> {
  return 'done';
}

interface Child {
  proc: ChildProcess;
  acks: Ack[];
  bad: Ack[];
  nacks: string[];
  stderr: string[];
  waitFor(line: string, ms: number): Promise<void>;
}

function spawnWriter(config: WriterConfig): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', SCRIPT, JSON.stringify(config)], {
    cwd: REPO,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const child: Child = { proc, acks: [], bad: [], nacks: [], stderr: [], waitFor: () => Promise.resolve() };
  const seen = new Set<string>();
  const waiters = new Map<string, () => void>();
  readline.createInterface({ input: proc.stdout! }).on('line', (line) => {
    if (line.startsWith('ACK ')) child.acks.push(JSON.parse(line.slice(4)));
    else if (line.startsWith('BAD ')) child.bad.push(JSON.parse(line.slice(4)));
    else if (line.startsWith('NACK ')) child.nacks.push(line);
    else {
      seen.add(line);
      waiters.get(line)?.();
    }
  });
  readline.createInterface({ input: proc.stderr! }).on('line', (line) => child.stderr.push(line));
  const exited = new Promise<void>((resolve) => proc.on('exit', () => resolve()));
  child.waitFor = (line, ms) =>
    seen.has(line)
      ? Promise.resolve()
      : Promise.race([
          new Promise<void>((r) => waiters.set(line, r)),
          exited.then(() => {
            if (!seen.has(line)) throw new Error(`writer ${config.writer} exited before ${line}: ${child.stderr.join('\n')}`);
          }),
          new Promise<void>((_, reject) => setTimeout(() => reject(new Error(`writer ${config.writer}: no ${line} in ${ms} ms`)), ms)),
        ]);
  return child;
}

let mf: MemFlowInstance;
const children: Child[] = [];
const timings: string[] = [];

async function newJob(): Promise<JobContext> {
  const handle = await mf.workflow.start({ workflowName: 'trivial', taskQueue: 'ctx-conc' });
  expect(await handle.result()).toBe('done'); // the job is finished; its context stays writable
  return handle.context();
}

/** Acks and broken-increment acks of all writers, run one way or the other. */
async function runWriters(job: JobContext, brokenJob: JobContext, appId: string): Promise<{ acks: Ack[]; bad: Ack[] }> {
  if (backend === 'postgres') {
    for (let w = 0; w < WRITERS; w++) {
      children.push(
        spawnWriter({ url: WRITER_URL, appId, jobId: job.workflowId, brokenJobId: brokenJob.workflowId, writer: w, ops: OPS, brokenOps: BROKEN_OPS }),
      );
    }
    const t0 = Date.now();
    await Promise.all(children.map((c) => c.waitFor('READY', 90_000)));
    timings.push(`processes ready in ${Date.now() - t0} ms`);
    const t1 = Date.now();
    for (const c of children) c.proc.stdin!.write('GO\n');
    await Promise.all(children.map((c) => c.waitFor('PHASE1', 200_000)));
    timings.push(`${WRITERS * OPS} ops in ${Date.now() - t1} ms`);
    for (const c of children) c.proc.stdin!.write('GO2\n');
    await Promise.all(children.map((c) => c.waitFor('DONE', 60_000)));
    for (const c of children) expect(c.nacks, c.stderr.join('\n')).toEqual([]);
    return { acks: children.flatMap((c) => c.acks), bad: children.flatMap((c) => c.bad) };
  }
  const writers = Array.from({ length: WRITERS }, (_, w) => w);
  const acks = (
    await Promise.all(
      writers.map(async (w) => {
        const mine: Ack[] = [];
        for (let i = 0; i < OPS; i++) mine.push(await issue(job, w, i));
        return mine;
      }),
    )
  ).flat();
  const bad = (
    await Promise.all(
      writers.map(async (w) => {
        const mine: Ack[] = [];
        for (let i = 0; i < BROKEN_OPS; i++) mine.push(await brokenIncrement(brokenJob, w, i));
        return mine;
      }),
    )
  ).flat();
  return { acks, bad };
}

describe('checkContext', () => {
  // a small, correct history of two writers, then one anomaly at a time: the check must name each
  const acks: Ack[] = [
    { w: 0, i: 0, kind: 'inc', result: 1 },
    { w: 1, i: 0, kind: 'inc', result: 2 },
    { w: 0, i: 1, kind: 'app', token: 'w0-1', len: 1, last: 'w0-1' },
    { w: 1, i: 1, kind: 'app', token: 'w1-1', len: 2, last: 'w1-1' },
    { w: 0, i: 5, kind: 'app', token: 'w0-5', len: 3, last: 'w0-5' },
    { w: 0, i: 2, kind: 'tog', result: true },
    { w: 1, i: 2, kind: 'tog', result: false },
    { w: 1, i: 3, kind: 'tog', result: true },
    { w: 0, i: 3, kind: 'mrg', key: 'k_0_3', seen: true },
  ];
  const good = () => ({ counter: 2, list: ['w0-1', 'w1-1', 'w0-5'], flag: true, keys: { k_0_3: 3 } });

  it('accepts a linearizable outcome', () => {
    expect(checkContext(good(), acks)).toEqual([]);
  });
  it.each([
    ['a lost increment', (d: any) => (d.counter = 1), /counter is 1/],
    ['a writer out of order', (d: any) => (d.list = ['w0-5', 'w1-1', 'w0-1']), /precedes|sits at/],
    ['a duplicated token', (d: any) => d.list.push('w0-1'), /appears twice/],
    ['a missing token', (d: any) => d.list.pop(), /missing/],
    ['a wrong flag', (d: any) => (d.flag = false), /flag is false/],
    ['a missing key', (d: any) => (d.keys = {}), /k_0_3/],
  ])('rejects %s', (_name, spoil, message) => {
    const d = good();
    spoil(d);
    expect(checkContext(d, acks).join('\n')).toMatch(message);
  });
  it('rejects answers that no serial order could give', () => {
    const twice = acks.map((a) => (a.kind === 'inc' ? { ...a, result: 1 } : a));
    expect(checkContext(good(), twice).join('\n')).toMatch(/answers are not 1..2/);
    const flips = acks.map((a) => (a.kind === 'tog' ? { ...a, result: true } : a));
    expect(checkContext(good(), flips).join('\n')).toMatch(/toggles answered true/);
  });
});

describe(`context ops under concurrency (${backend === 'postgres' ? `${WRITERS} processes` : `${WRITERS} in-process writers`})`, () => {
  beforeAll(async () => {
    mf = await MemFlow.init({ appId: uniqueAppId('ctxconc'), engine: { connection: testConnection() } });
    await mf.worker.create({ taskQueue: 'ctx-conc', workflow: trivial });
  });
  afterAll(async () => {
    for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
    await mf.shutdown();
  });

  it('every acknowledged op is applied exactly once, in a linearizable order; a read-modify-write control fails the same check', async () => {
    const job = await newJob();
    const brokenJob = await newJob();
    const started = Date.now();
    const { acks, bad } = await runWriters(job, brokenJob, mf.appId);
    const elapsed = Date.now() - started;

    // all ops were acknowledged, in each writer's issue order
    expect(acks).toHaveLength(WRITERS * OPS);
    const final = await job.get();
    expect(checkContext(final, acks)).toEqual([]);
    expect(final.counter).toBe((WRITERS * OPS) / 4);

    // one version and one log entry per op id: nothing applied twice, nothing unacknowledged applied
    expect(await job.version()).toBe(WRITERS * OPS);
    const history = await job.history({ limit: WRITERS * OPS + 10 });
    expect(history).toHaveLength(WRITERS * OPS);
    expect(new Set(history.map((h) => h.opId)).size).toBe(WRITERS * OPS);
    if (backend === 'postgres') expect(new Set(history.map((h) => h.actor)).size).toBe(WRITERS);

    // replay a few op ids of each kind: no change, and the answer of the first time
    const before = canon(final);
    const replayed = [0, 1, 2, 3, 4, 5, 6, 7].map((k) => acks[(k * 997) % acks.length]!);
    expect(new Set(replayed.map((a) => a.kind)).size).toBe(4);
    for (const first of replayed) {
      const again = await issue(job, first.w, first.i);
      expect(kindOf(first.w, first.i)).toBe(first.kind);
      expect(again).toEqual(first);
    }
    expect(canon(await job.get())).toBe(before);
    expect(await job.version()).toBe(WRITERS * OPS);

    // eight concurrent copies of one new op: it applies once and all eight get the same answer
    const copies = await Promise.all(Array.from({ length: 8 }, () => job.withOpId('racing-copy').increment('counter', 10)));
    expect(new Set(copies)).toEqual(new Set([final.counter + 10]));
    expect(await job.get('counter')).toBe(final.counter + 10);
    expect(await job.version()).toBe(WRITERS * OPS + 1);

    // NEGATIVE CONTROL: the same check catches the lost updates of get-then-set
    expect(bad).toHaveLength(WRITERS * BROKEN_OPS);
    const brokenFinal = await brokenJob.get();
    const violations = checkContext(brokenFinal, bad);
    expect(violations.length).toBeGreaterThan(0);
    expect(brokenFinal.counter).toBeLessThan(WRITERS * BROKEN_OPS);
    console.log(
      `[${backend}] ${acks.length} ops + ${bad.length} broken increments in ${elapsed} ms; ` +
        `read-modify-write lost ${WRITERS * BROKEN_OPS - brokenFinal.counter} of ${WRITERS * BROKEN_OPS} increments` +
        (timings.length ? ` (${timings.join(', ')})` : ''),
    );
  }, 300_000); // ~35 s alone on a 2-core machine, over 100 s once in CI beside two other files; a ceiling only
});
