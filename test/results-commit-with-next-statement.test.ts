/**
 * A step's result commits with the run's next statement (issue 12, migration 0046): a 1-step workflow
 * is two statements (its start, and its step written with its end), not three. What that must not
 * cost: a result waits in memory only while nothing else of the run is executing, never past the
 * start of the run's next call, and at most ~20 ms when the workflow awaits something that is not a
 * durable call; whatever happens, every result ends up in the journal.
 *
 * The engine's driver is wrapped to record the named statements each job's run sends.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../src/engine/engine.js';
import { MemFlow, type MemFlowInstance } from '../src/index.js';
import { NAMED_QUERIES } from '../src/sql/queries/index.js';
import { eventually, testConnection, uniqueAppId } from './support/backend.js';

const gates = new Map<string, () => void>();
/** Calls of takenOver/afterTakeOver per tag, in order; and how a test takes a job's task from its run. */
const calls = new Map<string, string[]>();
let takeOver: (jobId: string) => Promise<void> = async () => {};
const acts = MemFlow.workflow.proxyActivities({
  activities: {
    async quick(tag: string, i: number): Promise<string> {
      return `${tag}:${i}`;
    },
    async takenOver(tag: string): Promise<string> {
      calls.get(tag)!.push('takenOver');
      if (calls.get(tag)!.length === 1) await takeOver(tag); // another worker "claims" the task meanwhile
      return `${tag}:a`;
    },
    async afterTakeOver(tag: string): Promise<string> {
      calls.get(tag)!.push('afterTakeOver');
      return `${tag}:b`;
    },
    async slow(tag: string): Promise<string> {
      await new Promise<void>((resolve) => gates.set(tag, resolve));
      return `${tag}:slow`;
    },
  },
});

export async function oneStep(tag: string): Promise<string> {
  return acts.quick(tag, 1);
}

export async function threeSteps(tag: string): Promise<string[]> {
  return [await acts.quick(tag, 1), await acts.quick(tag, 2), await acts.quick(tag, 3)];
}

export async function quickBesideSlow(tag: string): Promise<string[]> {
  return Promise.all([acts.quick(tag, 1), acts.slow(tag)]);
}

export async function sleepsThenEnds(tag: string): Promise<string> {
  await MemFlow.workflow.sleepFor('300 milliseconds');
  return `${tag}:woke`;
}

export async function stepThenNonDurableWait(tag: string): Promise<string> {
  const first = await acts.quick(tag, 1);
  await new Promise((resolve) => setTimeout(resolve, 1500)); // not a durable call
  return first;
}

export async function stepTakenOverThenStep(tag: string): Promise<string> {
  await acts.takenOver(tag);
  await new Promise((resolve) => setTimeout(resolve, 150)); // not a durable call: the step is written meanwhile
  return acts.afterTakeOver(tag);
}

type Named = Engine['driver']['named'];

describe('a step\'s result commits with the run\'s next statement', () => {
  let mf: MemFlowInstance;
  let engine: Engine;
  let original: Named;
  /** Job id -> the names of the statements that carried it as a parameter, in order. */
  const sent = new Map<string, string[]>();

  beforeAll(async () => {
    mf = await MemFlow.init({ appId: uniqueAppId('deferred'), engine: { connection: testConnection() } });
    engine = await mf.client.engine(mf.appId);
    original = engine.driver.named.bind(engine.driver);
    const nameOf = new Map(Object.entries(NAMED_QUERIES).map(([name, query]) => [engine.bind(query).text, name]));
    engine.driver.named = (async (name: string, sql: string, params: unknown[]) => {
      for (const p of params) if (typeof p === 'string' && sent.has(p)) sent.get(p)!.push(nameOf.get(sql) ?? name);
      return original(name, sql, params);
    }) as Named;
    takeOver = async (jobId) => {
      await engine.driver.query(`UPDATE ${engine.sqlSchema}.tasks SET claims = claims + 1 WHERE job_id = $1`, [jobId]);
    };
    for (const workflow of [oneStep, threeSteps, quickBesideSlow, stepThenNonDurableWait, sleepsThenEnds, stepTakenOverThenStep]) {
      await mf.worker.create({ taskQueue: 'deferred', workflow });
    }
  });
  afterAll(async () => {
    engine.driver.named = original;
    await mf.shutdown();
  });

  async function run(workflow: (tag: string) => Promise<unknown>, tag: string) {
    sent.set(tag, []);
    const handle = await mf.workflow.start({ taskQueue: 'deferred', workflowName: workflow.name, workflowId: tag, args: [tag] });
    return handle;
  }
  const journaled = async (tag: string) =>
    (await (await mf.workflow.getHandle('deferred', 'any', tag)).history()).filter((e) => e.kind === 'activity').map((e) => e.seq);

  it('a 1-step workflow is its start and one statement that writes its step and its end', async () => {
    const tag = `one-${Date.now()}`;
    const handle = await run(oneStep, tag);
    expect(await handle.result()).toBe(`${tag}:1`);
    const names = sent.get(tag)!.filter((n) => n !== 'readJobStatus'); // a result() poll, if it fell back to one
    expect(names).toEqual(['startJob', 'finishThread']);
    expect(await journaled(tag)).toEqual([1]);
  });

  it('each earlier step is written before the next starts; the last with the end', async () => {
    const tag = `three-${Date.now()}`;
    const handle = await run(threeSteps, tag);
    expect(await handle.result()).toEqual([`${tag}:1`, `${tag}:2`, `${tag}:3`]);
    expect(sent.get(tag)!.filter((n) => n !== 'readJobStatus')).toEqual(['startJob', 'appendResult', 'appendResult', 'finishThread']);
    expect(await journaled(tag)).toEqual([1, 2, 3]);
  });

  it('a woken sleeper stamps the timer\'s delivery in the statement that ends it', async () => {
    const tag = `sleep-${Date.now()}`;
    const handle = await run(sleepsThenEnds, tag);
    expect(await handle.result()).toBe(`${tag}:woke`);
    // the claim that woke it names no job; before: startJob, suspendThread, stampDelivered, finishThread
    expect(sent.get(tag)!.filter((n) => n !== 'readJobStatus')).toEqual(['startJob', 'suspendThread', 'finishThread']);
    const sleep = (await (await mf.workflow.getHandle('deferred', 'any', tag)).history()).find((e) => e.kind === 'sleep');
    expect(sleep).toMatchObject({ seq: 1, status: 'done' });
    expect(sleep!.batch).toBeGreaterThan(0); // stamped: delivered in the run's batch 1
  });

  it('a result is written at once while another call of the run is still executing', async () => {
    const tag = `beside-${Date.now()}`;
    const handle = await run(quickBesideSlow, tag);
    await eventually(async () => gates.has(tag));
    // the slow step is still running: the quick one's result is in the journal already
    expect(await eventually(async () => (await journaled(tag)).includes(1) && (await journaled(tag)), 3000)).toEqual([1]);
    gates.get(tag)!();
    expect(await handle.result()).toEqual([`${tag}:1`, `${tag}:slow`]);
    expect(await journaled(tag)).toEqual([1, 2]);
  });

  it('a run that awaits something else after a step has that step written within milliseconds', async () => {
    const tag = `wait-${Date.now()}`;
    const handle = await run(stepThenNonDurableWait, tag);
    const started = Date.now();
    await eventually(async () => (await journaled(tag)).length === 1, 1200, 20);
    expect(Date.now() - started).toBeLessThan(1200); // well before the workflow's 1.5 s wait ends
    expect(await handle.result()).toBe(`${tag}:1`);
    expect(await journaled(tag)).toEqual([1]);
  });

  it('a step whose write the fence refused stops the run before its next call', async () => {
    // The step's result is written while the workflow awaits a plain timer; the task was claimed
    // again meanwhile, so the fence refuses that write. The run's next call must see the refusal and
    // stop, not run the next activity in a run nobody will record (call-site.ts keeps a failed write
    // counted, so the check before the next call does not skip it).
    const tag = `taken-${Date.now()}`;
    calls.set(tag, []);
    await run(stepTakenOverThenStep, tag);
    await eventually(async () => sent.get(tag)!.includes('appendResult'), 3000, 10);
    await new Promise((resolve) => setTimeout(resolve, 600)); // well past the 150 ms wait
    expect(calls.get(tag)).toEqual(['takenOver']);
    expect(await journaled(tag)).toEqual([]);
  });
});
