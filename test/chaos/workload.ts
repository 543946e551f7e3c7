/**
 * The ledger workload: the workflows and activities every chaos worker serves.
 *
 * Each activity first writes its execution to the ledger (job, thread, seq, attempt, pid, nonce) and
 * returns the nonce, so the journaled result names the one execution that produced it. Each context
 * op adds its own power of ten to a counter, so a lost op shows as a 0 digit and a doubled one as a
 * 2. Each signal carries a unique id, which the workflow appends to its context when it receives it.
 * A workflow returns the nonces of its steps (its record of what it did).
 */
import { randomUUID } from 'node:crypto';
import { MemFlow } from '../../src/index.js';
import { reached } from './fault-points.js';
import type { Ledger } from './ledger.js';

export const TASK_QUEUE = 'chaos';

let ledger: Ledger | undefined;

/** Installed once by the worker process. */
export function bindLedger(writer: Ledger): void {
  ledger = writer;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Write this execution to the ledger; answers its nonce. */
async function recordExecution(name: string): Promise<string> {
  const beganAt = Date.now();
  const info = MemFlow.activity.getContext();
  const nonce = randomUUID();
  await ledger!.record({ nonce, jobId: info.workflowId, thread: info.thread, seq: info.seq, name, attempt: info.attempt, pid: process.pid, beganAt });
  return nonce;
}

export interface Step {
  nonce: string;
}

const activities = {
  /** A step of `ms` milliseconds. */
  async step(name: string, ms: number): Promise<Step> {
    const info = MemFlow.activity.getContext();
    if (info.thread === 'main') await reached('begin', info.workflowId);
    const nonce = await recordExecution(name);
    await reached(info.thread === 'main' ? 'step' : 'hook', info.workflowId);
    if (ms > 0) await sleep(ms);
    return { nonce };
  },
  /** Milliseconds until `dueAt` (journaled, so the timer's duration is the same on every replay). */
  async remaining(dueAt: number): Promise<Step & { ms: number }> {
    const nonce = await recordExecution('remaining');
    return { nonce, ms: Math.max(1, dueAt - Date.now()) };
  },
  async stamp(): Promise<Step & { at: number }> {
    const nonce = await recordExecution('stamp');
    return { nonce, at: Date.now() };
  },
  /** Poison: an error whose message holds U+0000 (issue 7, fault 1). */
  async nul(): Promise<Step> {
    await recordExecution('nul');
    throw new Error('poison: a NUL \u0000 in the message');
  },
};

const acts = MemFlow.workflow.proxyActivities({
  activities,
  retryPolicy: { maximumAttempts: 5, backoffCoefficient: 1, maximumInterval: '1s' },
});
/** The poison activity: one retry, so at most two attempts. */
const poisonActs = MemFlow.workflow.proxyActivities({
  activities,
  retryPolicy: { maximumAttempts: 1, backoffCoefficient: 1, maximumInterval: '1s' },
});

export interface LedgerSpec {
  /** waitFor('go-<i>') for i below this; the load sends each a signal with a unique id. */
  signals: number;
  sleepMs: number;
  /** Sequential increments of `m` by 10^k, k below this (at most 15). */
  ctxOps: number;
  hook: boolean;
  child: boolean;
}

/** The main shape: steps, parallel steps, context ops, a sleep, signals, a hook, a child. */
export async function ledgerFlow(spec: LedgerSpec): Promise<{ steps: string[] }> {
  const ctx = await MemFlow.workflow.context();
  const steps: string[] = [];
  steps.push((await acts.step('a', 20)).nonce);
  await ctx.increment('n', 1);
  const [b, c] = await Promise.all([acts.step('b', 40), acts.step('c', 10)]);
  steps.push(b.nonce, c.nonce);
  await Promise.all([ctx.increment('n', 10), ctx.increment('n', 100)]);
  for (let k = 0; k < spec.ctxOps; k++) await ctx.increment('m', 10 ** k);
  if (spec.sleepMs > 0) await MemFlow.workflow.sleepFor(spec.sleepMs);
  for (let i = 0; i < spec.signals; i++) {
    const { sid } = await MemFlow.workflow.waitFor<{ sid: string }>(`go-${i}`);
    await ctx.append('seen', sid);
  }
  if (spec.hook) await MemFlow.workflow.execHook({ taskQueue: TASK_QUEUE, workflowName: 'ledgerHook', args: [], signalId: 'hook-done' });
  if (spec.child) await MemFlow.workflow.execChild({ taskQueue: TASK_QUEUE, workflowName: 'ledgerChild', args: [] });
  await ctx.increment('n', 1000);
  return { steps };
}

/** Started by ledgerFlow with execHook: a step and an op on the shared context, then its signal back. */
export async function ledgerHook(reply: { signal: string }): Promise<void> {
  const ctx = await MemFlow.workflow.context();
  await acts.step('h', 30);
  await ctx.increment('h', 1);
  await MemFlow.workflow.signal(reply.signal, { ok: true });
}

/** Started from outside by the load (on running and finished jobs): adds 10^digit to `o`. */
export async function outsideHook(hookId: string, digit: number): Promise<void> {
  const ctx = await MemFlow.workflow.context();
  await acts.step(`o:${hookId}`, 10);
  await ctx.increment('o', 10 ** digit);
}

export async function ledgerChild(): Promise<{ ok: true }> {
  const ctx = await MemFlow.workflow.context();
  await acts.step('k', 20);
  await ctx.increment('n', 1);
  return { ok: true };
}

/** The fence probe's workers are paused before the journal write of a step at this seq or later. */
export const PROBE_PAUSE_SEQ = 200;

/**
 * The fence probe: a chain of short steps with some computation after each. The SIGSTOP fault pauses
 * a worker right before it journals a step's result (its lease check passed), past its lease, and
 * resumes it as soon as another worker has claimed the probe: the stale write then arrives while the
 * new holder replays. Without a working fence it commits, and the new holder runs that step again
 * after its result committed.
 */
export async function fenceProbe(chain: number): Promise<{ steps: number; checksum: number }> {
  let checksum = 0;
  for (let i = 0; i < chain; i++) {
    await acts.step(`p${i}`, 5);
    checksum = compute(checksum, i);
  }
  return { steps: chain, checksum };
}

/**
 * Pure computation between two steps (about 1.5 ms), as real workflows have. It makes a replay of
 * the probe take a while (200 steps: some 300 ms), the window in which the paused worker's stale
 * write arrives.
 */
function compute(seed: number, i: number): number {
  let x = (seed ^ i) >>> 0;
  for (let k = 0; k < 600_000; k++) x = Math.imul(x ^ (x >>> 13), 0x5bd1e995) >>> 0;
  return x;
}

/** One of many timers due at the same instant `dueAt` (epoch ms). */
export async function timerFlow(dueAt: number): Promise<{ dueAt: number; at: number }> {
  const { ms } = await acts.remaining(dueAt);
  await MemFlow.workflow.sleepFor(ms);
  const { at } = await acts.stamp();
  return { dueAt, at };
}

/** The burst's workflow: one step, one op. */
export async function burstFlow(): Promise<{ ok: true }> {
  await acts.step('burst', 0);
  const ctx = await MemFlow.workflow.context();
  await ctx.increment('n', 1);
  return { ok: true };
}

/** Poison: always throws (the job must fail with the retries its config allows, then stop). */
export async function poisonThrow(): Promise<void> {
  await acts.step('throw', 0);
  throw new Error('poison: this workflow always throws');
}

/** Poison: its activity always fails with a NUL in the message. */
export async function poisonNul(): Promise<void> {
  await poisonActs.nul();
}

/** Runs this process made of each (job, iteration): a second run of one here takes another path. */
const ranHere = new Set<string>();

/**
 * Poison: non-deterministic code. The first run of an iteration in a process sleeps; a replay of it
 * in the same process calls an activity instead, so replay meets a different call and the job must
 * be parked (NonDeterminismError, code 593). Every process can run an iteration once without noticing,
 * so with a few workers the job is parked within a few wake-ups.
 */
export async function poisonNondeterministic(): Promise<void> {
  const { workflowId } = MemFlow.workflow.getContext();
  for (let i = 0; i < 50; i++) {
    const key = `${workflowId}:${i}`;
    if (ranHere.has(key)) await acts.step('diverged', 0);
    else {
      ranHere.add(key);
      await MemFlow.workflow.sleepFor(50);
    }
  }
}

/** Every function a chaos worker serves, by name. */
export const WORKFLOWS = {
  ledgerFlow,
  ledgerHook,
  outsideHook,
  ledgerChild,
  fenceProbe,
  timerFlow,
  burstFlow,
  poisonThrow,
  poisonNul,
  poisonNondeterministic,
};
export type WorkflowName = keyof typeof WORKFLOWS;
