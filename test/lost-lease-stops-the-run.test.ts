/**
 * A heartbeat that does not return a held task means another worker holds it now. Before the fix
 * that was ignored: the stale run went on (its activity running, then the next calls, until a
 * fenced write was refused), and kept its worker slot meanwhile. Now the run stops at once: its slot
 * is free for other work, its in-flight activity's result is not journaled, and its next call is never
 * made.
 *
 * The other worker is played by the test: it takes the lease the way a claim does (claims + 1, a new
 * owner, run_at at the end of its lease), and then runs nothing, so the task is claimable again when
 * that lease ends.
 *
 * The stale run's step runs until the test opens its gate, after the other job has run: a run that
 * keeps its slot never frees it while the gate is shut, however slow the machine.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../src/engine/engine.js';
import { MemFlow, type MemFlowInstance } from '../src/index.js';
import { gateSet, within } from './support/gates.js';
import { eventually, testConnection, uniqueAppId } from './support/backend.js';

const LEASE_SECONDS = 3; // heartbeat every second
const calls: string[] = [];

/** The first slowStep of each tag waits on its gate; the test opens it (afterEach, at the latest). */
const { gate, openAll } = gateSet();

const acts = MemFlow.workflow.proxyActivities({
  activities: {
    async slowStep(tag: string): Promise<string> {
      calls.push(`slow ${tag}`);
      // the stale run's step hangs until the gate opens; the run after the lost lease's end answers at
      // once (under load it may win the only slot before the other job: it must not hold it)
      if (calls.filter((c) => c === `slow ${tag}`).length === 1) await gate(tag).opened;
      return 'slow';
    },
    async nextStep(tag: string): Promise<string> {
      calls.push(`next ${tag}`);
      return 'next';
    },
  },
});

export async function twoSteps(tag: string): Promise<string[]> {
  return [await acts.slowStep(tag), await acts.nextStep(tag)];
}

export async function quick(): Promise<string> {
  return 'quick';
}

describe('a run whose lease another worker took', () => {
  let mf: MemFlowInstance;
  let engine: Engine;
  beforeAll(async () => {
    mf = await MemFlow.init({ appId: uniqueAppId('lost-lease'), engine: { connection: testConnection() }, worker: { concurrency: 1, leaseSeconds: LEASE_SECONDS } });
    engine = await mf.client.engine(mf.appId);
    await mf.worker.create({ taskQueue: 'lost', workflow: twoSteps });
    await mf.worker.create({ taskQueue: 'lost', workflow: quick });
  });
  afterEach(() => {
    openAll();
  });
  afterAll(() => mf.shutdown());

  it('stops at the next heartbeat: its slot is free at once, its result is not journaled, it makes no next call', async () => {
    const tag = `stolen-${Date.now()}`;
    const stolen = await mf.workflow.start({ taskQueue: 'lost', workflowName: 'twoSteps', workflowId: tag, args: [tag] });
    await eventually(async () => calls.includes(`slow ${tag}`), 10_000, 10);
    const took = await engine.driver.query(
      `UPDATE ${engine.sqlSchema}.tasks SET claims = claims + 1, lease_owner = 'another-worker', run_at = now() + interval '${LEASE_SECONDS} seconds'
        WHERE job_id = $1 RETURNING id`,
      [tag],
    );
    expect(took.rowCount).toBe(1);

    // the only slot (concurrency 1) was the stale run's: another job runs once the run has stopped
    const started = Date.now();
    const other = await mf.workflow.start({ taskQueue: 'lost', workflowName: 'quick' });
    // the stale run's step still hangs: a run that keeps its slot leaves the other job waiting for good
    expect(await within(other.result(), 20_000, 'the other job, beside the stale run')).toBe('quick');
    console.log(`lost lease: the other job ran ${Date.now() - started} ms after it was started`);
    gate(tag).open();

    // the job completes once the lease it lost has run out: slowStep ran twice (the stale run's
    // result was never journaled), nextStep once (never by the stale run)
    expect(await stolen.result()).toEqual(['slow', 'next']);
    expect(calls.filter((c) => c.endsWith(tag))).toEqual([`slow ${tag}`, `slow ${tag}`, `next ${tag}`]);
  }, 60_000);
});
