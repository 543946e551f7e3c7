/**
 * Review finding: claimTasks can hand a run a journal that is older than its `wakeups`, and the
 * thread then sleeps forever (PostgreSQL only; PGlite runs one statement at a time).
 *
 * claimTasks is one statement under READ COMMITTED. Its journal subquery reads the statement's
 * snapshot, but the task row it locks (FOR UPDATE SKIP LOCKED) and RETURNs `wakeups` from is the
 * latest committed version: a row updated after the snapshot is re-fetched (EvalPlanQual). So a child
 * (or a remote activity) that commits its result + wake_thread between the claim's snapshot and the
 * moment the claim locks the parent's row is counted in `wakeups` but missing from the journal the
 * run replays. The run re-issues execChild (the child exists and is "mine": 'blocked'), suspends with
 * the `wakeups` it was given, so suspendThread sees no wake-up and sets run_at = 'infinity'. Nothing
 * ever wakes the parent again; result() never settles. (For a remote activity the re-issue inserts a
 * NEW activity task, since the finished one was deleted: the activity runs a second time and its
 * result is dropped by finishActivityTask's ON CONFLICT DO NOTHING, again with no wake-up.)
 *
 * The window (snapshot → row lock) is normally microseconds. This test widens it with the engine's
 * real claim statement: ready tasks that another session holds locked, queued ahead of the parent,
 * which SKIP LOCKED has to step over (exactly what concurrent claimers cause in production). While
 * the claim is stepping over them, the second child finishes.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemFlow, type MemFlowInstance } from '../src/index.js';
import type { Engine } from '../src/engine/engine.js';
import { processRuntime } from '../src/runtime/runtime.js';
import { claimTasks } from '../src/sql/queries/tasks.js';
import type { ClaimedRow } from '../src/worker/claimed-task.js';
import { LeaseGuard } from '../src/worker/lease-guard.js';
import { runThreadTask } from '../src/worker/thread-task.js';
import { backend, eventually, POSTGRES_URL, testConnection, uniqueAppId } from './support/backend.js';

export async function kidWaits(): Promise<string> {
  return MemFlow.workflow.waitFor<string>('go');
}

export async function twoKids(): Promise<string[]> {
  const { workflowId } = MemFlow.workflow.getContext();
  return Promise.all([
    MemFlow.workflow.execChild<string>({ taskQueue: 'kids', workflowName: 'kidWaits', workflowId: `${workflowId}-k1` }),
    MemFlow.workflow.execChild<string>({ taskQueue: 'kids', workflowName: 'kidWaits', workflowId: `${workflowId}-k2` }),
  ]);
}

const gates: Record<string, () => void> = {};
const gateOpen: Record<string, Promise<void>> = {};
for (const name of ['a1', 'a2']) gateOpen[name] = new Promise<void>((r) => (gates[name] = r));
export const executions: Record<string, number> = { a1: 0, a2: 0 };
const remoteActivities = {
  async gated(name: string): Promise<string> {
    executions[name]!++;
    await gateOpen[name];
    return name;
  },
};
const remote = MemFlow.workflow.proxyActivities<typeof remoteActivities>({ taskQueue: 'remote' });

export async function twoRemote(): Promise<string[]> {
  return Promise.all([remote.gated('a1'), remote.gated('a2')]);
}

const TOPIC = 'parents-twoKids';

describe('a child finishing while the parent is being claimed', () => {
  let mf: MemFlowInstance;
  let engine: Engine;
  let locker: pg.Client;
  let observer: pg.Client;
  beforeAll(async () => {
    mf = await MemFlow.init({ appId: uniqueAppId('rv-claim'), engine: { connection: testConnection() } });
    await mf.worker.create({ taskQueue: 'kids', workflow: kidWaits });
    engine = await mf.client.engine(mf.appId);
    locker = new pg.Client({ connectionString: POSTGRES_URL });
    observer = new pg.Client({ connectionString: POSTGRES_URL });
    await locker.connect();
    await observer.connect();
  });
  afterAll(async () => {
    await locker.end().catch(() => {});
    await observer.end().catch(() => {});
    await mf.shutdown();
  });

  /**
   * A bulk statement, in a transaction: a transaction has no statement_timeout, and under the full
   * suite's load the 1.2M-row insert once ran past the engine's 30 s statement deadline in CI.
   */
  const bulk = (sql: string, params?: unknown[]) => engine.driver.transaction((tx) => tx.query(sql, params));
  const claimOne = async (topic: string) => (await engine.query(claimTasks, { owner: 'review-owner', leaseSeconds: 30, topics: [topic], limit: 1 })).rows;
  /** Run a claimed thread as a worker of this process would. */
  const runAs = (fn: (...args: any[]) => unknown) => (row: ClaimedRow) =>
    runThreadTask(row, {
      engine,
      program: processRuntime.threadProgram(engine, fn),
      activities: processRuntime.activities,
      onSuspended: () => {},
      guard: new LeaseGuard(row.id, performance.now() + 30_000, async () => {}), // the claim's 30 s lease
    });
  const claimParent = () => claimOne(TOPIC);
  const runParent = runAs(twoKids);
  const activityTasks = async (jobId: string) =>
    (await engine.driver.query<{ seq: number }>(`SELECT seq FROM ${engine.sqlSchema}.tasks WHERE job_id = $1 AND kind = 'activity'`, [jobId])).rows.map((r) => r.seq);
  const journalSeqs = async (jobId: string) =>
    (await engine.driver.query<{ seq: number }>(`SELECT seq FROM ${engine.sqlSchema}.journal WHERE job_id = $1 AND thread = 'main' ORDER BY seq`, [jobId])).rows.map(
      (r) => r.seq,
    );

  it('the parent is runnable again once both children have finished', async () => {
    const s = engine.sqlSchema;
    const parent = await mf.workflow.start({ taskQueue: 'parents', workflowName: 'twoKids' });
    const id = parent.workflowId;

    // first run of the parent (this test is its worker): starts both children, suspends
    const [first] = await eventually(async () => {
      const rows = await claimParent();
      return rows.length > 0 && rows;
    });
    await runParent(first!);
    const k1 = await mf.workflow.getHandle('kids', 'kidWaits', `${id}-k1`);
    const k2 = await mf.workflow.getHandle('kids', 'kidWaits', `${id}-k2`);

    // child 1 finishes: the parent's task becomes ready
    await k1.signal('go', 'one');
    await eventually(async () => (await journalSeqs(id)).includes(1));

    // ready tasks of the same topic, older than the parent's, held by another session: the claim skips
    // them one by one, for about half a second, while child 2 finishes (800k were too few once, under
    // the full suite's load: the claim was done first, and the test inconclusive)
    await bulk(
      `INSERT INTO ${s}.tasks (job_id, thread, kind, topic, run_at)
       SELECT 'busy-' || i, 'main', 'thread', $1, now() - interval '1 hour' FROM generate_series(1, 1200000) AS i`,
      [TOPIC],
    );
    await locker.query('BEGIN');
    await locker.query(`SELECT id FROM ${s}.tasks WHERE job_id LIKE 'busy-%' FOR UPDATE`);

    let claimDone = false;
    const claim = claimParent().finally(() => (claimDone = true));
    // the claim statement is running (its snapshot is taken) ...
    await eventually(async () => {
      const r = await observer.query(`SELECT 1 FROM pg_stat_activity WHERE state = 'active' AND (query LIKE '%WITH claimed AS%' OR query LIKE '%claim_tasks(%') AND pid <> pg_backend_pid()`);
      return r.rowCount! > 0;
    }, 5000, 1);
    // ... and child 2 finishes before it gets to the parent's row
    await k2.signal('go', 'two');
    await eventually(async () => (await journalSeqs(id)).includes(2), 10_000, 5);
    const raced = !claimDone;

    const [row] = await claim;
    await locker.query('ROLLBACK');
    await bulk(`DELETE FROM ${s}.tasks WHERE job_id LIKE 'busy-%'`);
    expect(raced, 'child 2 finished while the claim was in progress (otherwise the test is inconclusive)').toBe(true);
    expect(row, 'the claim returned the parent').toBeTruthy();

    const task = await engine.driver.query<{ wakeups: number }>(`SELECT wakeups FROM ${s}.tasks WHERE id = $1`, [row!.id]);
    const seenSeqs = (row!.journal ?? []).map((e) => e.seq);
    // the claim's view: wakeups already counts child 2's wake-up ...
    expect(row!.wakeups).toBe(task.rows[0]!.wakeups);
    // ... so the journal it returned should contain child 2's result as well
    expect.soft(seenSeqs, 'journal handed to the run is older than the wakeups it was handed').toContain(2);

    // the run replays child 1, re-issues child 2 ('blocked': it exists), suspends with those wakeups
    await runParent(row!);
    const after = await engine.driver.query<{ run_at: string }>(`SELECT run_at::text FROM ${s}.tasks WHERE job_id = $1`, [id]);
    expect.soft(after.rows[0]?.run_at, 'parent task after suspension').not.toBe('infinity');

    // an ordinary worker for the parent topic never gets to run it again
    await mf.worker.create({ taskQueue: 'parents', workflow: twoKids });
    const outcome = await Promise.race([parent.result(), new Promise((r) => setTimeout(() => r('still running after 20 s'), 20_000))]);
    expect(outcome).toEqual(['one', 'two']);
  }, 60_000);

  it('a remote activity that finished while the parent was being claimed runs once, and the parent finishes', async () => {
    const s = engine.sqlSchema;
    const topic = 'parents-twoRemote';
    await MemFlow.registerActivityWorker({ connection: testConnection(), namespace: mf.appId }, remoteActivities, 'remote');
    const claim = () => claimOne(topic);
    const run = runAs(twoRemote);
    const parent = await mf.workflow.start({ taskQueue: 'parents', workflowName: 'twoRemote' });
    const id = parent.workflowId;

    const [first] = await eventually(async () => {
      const rows = await claim();
      return rows.length > 0 && rows;
    });
    await run(first!); // schedules both activities, suspends
    gates.a1!();
    await eventually(async () => (await journalSeqs(id)).includes(1));
    await eventually(async () => executions.a2 === 1);

    await bulk(
      `INSERT INTO ${s}.tasks (job_id, thread, kind, topic, run_at)
       SELECT 'busy2-' || i, 'main', 'thread', $1, now() - interval '1 hour' FROM generate_series(1, 1200000) AS i`,
      [topic],
    );
    await locker.query('BEGIN');
    await locker.query(`SELECT id FROM ${s}.tasks WHERE job_id LIKE 'busy2-%' FOR UPDATE`);
    let claimDone = false;
    const claiming = claim().finally(() => (claimDone = true));
    await eventually(async () => {
      const r = await observer.query(`SELECT 1 FROM pg_stat_activity WHERE state = 'active' AND (query LIKE '%WITH claimed AS%' OR query LIKE '%claim_tasks(%') AND pid <> pg_backend_pid()`);
      return r.rowCount! > 0;
    }, 5000, 1);
    gates.a2!(); // activity 2 finishes: journaled into the parent, parent woken
    await eventually(async () => (await journalSeqs(id)).includes(2), 10_000, 5);
    const raced = !claimDone;
    const [row] = await claiming;
    await locker.query('ROLLBACK');
    await bulk(`DELETE FROM ${s}.tasks WHERE job_id LIKE 'busy2-%'`);
    expect(raced, 'activity 2 finished while the claim was in progress (otherwise inconclusive)').toBe(true);

    await run(row!);
    // a run that missed a2's result re-issues it: a new activity task (the finished one was deleted)
    expect(await activityTasks(id), 'activity tasks scheduled again by the run').toEqual([]);

    await mf.worker.create({ taskQueue: 'parents', workflow: twoRemote });
    const outcome = await Promise.race([parent.result(), new Promise((r) => setTimeout(() => r('still running after 20 s'), 20_000))]);
    expect(outcome).toEqual(['a1', 'a2']);
    // once more at the end, so a duplicate is seen whether it already ran or is still queued
    expect(executions, 'executions of each activity (a2 had committed its result)').toEqual({ a1: 1, a2: 1 });
    expect(await activityTasks(id), 'activity tasks left for the finished parent').toEqual([]);
  }, 60_000);
});
