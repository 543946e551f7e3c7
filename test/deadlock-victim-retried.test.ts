/**
 * interrupt_job locks several jobs (the target, its descendants, the jobs whose execHook waits on its
 * hooks) in id order, but a hook started on one of them between its read and its lock can still make
 * it a deadlock victim (design-decisions.md, migration 0063). PostgreSQL rolls the victim back; the
 * same statement succeeds on another try. Here the first interrupt statement of a chosen job is
 * refused with a real server error, SQLSTATE 40P01 (a DO block raises it in its place):
 * - from outside, interrupt() and terminate() threw the deadlock at the caller; they try again;
 * - from a workflow, the durable call's run is aborted and run again in a second (as before);
 * - the statement that ends a run (suspendThread here) was logged as a worker failure and its task
 *   left leased for its whole lease (30 s); the task is given back and run again at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../src/engine/engine.js';
import { MemFlow, type MemFlowInstance } from '../src/index.js';
import * as jobs from '../src/sql/queries/jobs.js';
import * as tasks from '../src/sql/queries/tasks.js';
import { testConnection, uniqueAppId } from './support/backend.js';
import { interceptNamed } from './support/intercept-named.js';

export async function waits(): Promise<string> {
  return MemFlow.workflow.waitFor<string>('never');
}

export async function sleeps(): Promise<string> {
  await MemFlow.workflow.sleepFor('1 second');
  return 'woke';
}

export async function interrupts(targetId: string): Promise<string> {
  return MemFlow.workflow.interrupt(targetId, { reason: 'from a workflow' });
}

const DEADLOCK = `DO $$ BEGIN RAISE EXCEPTION 'deadlock detected (injected by the test)' USING ERRCODE = '40P01'; END $$`;

describe('a deadlock victim is tried again', () => {
  let mf: MemFlowInstance;
  let engine: Engine;
  let restore = () => {};
  /** 'interrupt:<job id>' or 'suspend:<job id>' → how many of those statements are still to be refused. */
  const refuse = new Map<string, number>();
  let refused = 0;

  beforeAll(async () => {
    mf = await MemFlow.init({ appId: uniqueAppId('deadlock'), engine: { connection: testConnection() }, logLevel: 'silent' });
    engine = await mf.client.engine(mf.appId);
    // statement text → [which statements, the position of the job id]
    const texts = new Map<string, readonly [string, number]>([
      ...[jobs.interruptJob, jobs.interruptFromThread].map((q) => [engine.bind(q).text, ['interrupt', q.params.indexOf('targetId')]] as const),
      [engine.bind(tasks.suspendThread).text, ['suspend', tasks.suspendThread.params.indexOf('jobId')]] as const,
    ]);
    restore = interceptNamed(engine, async (send, name, sql, params, options) => {
      const at = texts.get(sql);
      const target = at === undefined ? undefined : `${at[0]}:${String(params[at[1]])}`;
      if (target !== undefined && (refuse.get(target) ?? 0) > 0) {
        refuse.set(target, refuse.get(target)! - 1);
        refused++;
        return send('hm_test_deadlock', DEADLOCK, [], options);
      }
      return send(name, sql, params, options);
    });
    await mf.worker.create({ taskQueue: 'deadlock', workflow: waits });
    await mf.worker.create({ taskQueue: 'deadlock', workflow: interrupts });
    await mf.worker.create({ taskQueue: 'deadlock', workflow: sleeps });
  });
  afterAll(async () => {
    restore();
    await mf.shutdown();
  });

  const waiting = async () => {
    const handle = await mf.workflow.start({ taskQueue: 'deadlock', workflowName: 'waits' });
    return handle;
  };

  it('handle.interrupt() from outside', async () => {
    const target = await waiting();
    refuse.set(`interrupt:${target.workflowId}`, 2);
    const before = refused;
    await expect(target.interrupt({ reason: 'from outside' })).resolves.toBe(target.workflowId);
    expect(refused - before).toBe(2);
    await expect(target.result()).rejects.toMatchObject({ code: 410 });
  });

  it('handle.terminate() from outside', async () => {
    const target = await waiting();
    refuse.set(`interrupt:${target.workflowId}`, 1);
    const before = refused;
    await target.terminate({ reason: 'from outside' });
    expect(refused - before).toBe(1);
    expect((await target.describe()).status).toBe('terminated');
  });

  it('interrupt() from a workflow: the run is aborted and runs again in a second', async () => {
    const target = await waiting();
    refuse.set(`interrupt:${target.workflowId}`, 1);
    const before = refused;
    const caller = await mf.workflow.start({ taskQueue: 'deadlock', workflowName: 'interrupts', args: [target.workflowId] });
    const started = Date.now();
    expect(await caller.result()).toBe(target.workflowId);
    expect(refused - before).toBe(1);
    // the default lease is 30 s: a task left leased would finish after it
    expect(Date.now() - started).toBeLessThan(15_000);
    await expect(target.result()).rejects.toMatchObject({ code: 410 });
  }, 45_000);

  it('the statement that ends a run: its task runs again at once, not after its lease', async () => {
    const workflowId = `sleeper-${Date.now()}`;
    refuse.set(`suspend:${workflowId}`, 1);
    const before = refused;
    const started = Date.now();
    const handle = await mf.workflow.start({ taskQueue: 'deadlock', workflowName: 'sleeps', workflowId });
    expect(await handle.result()).toBe('woke');
    expect(refused - before).toBe(1);
    // the default lease is 30 s: a task left leased would finish after it
    expect(Date.now() - started).toBeLessThan(15_000);
  }, 45_000);

  it('the outside calls give up after five conflicts in a row, with the deadlock', async () => {
    const target = await waiting();
    refuse.set(`interrupt:${target.workflowId}`, 5);
    await expect(target.interrupt()).rejects.toMatchObject({ code: '40P01' });
    refuse.delete(`interrupt:${target.workflowId}`);
    await target.interrupt();
  });
});
