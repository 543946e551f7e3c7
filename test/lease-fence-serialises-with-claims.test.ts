/**
 * Fault 5 of issue 7: the lease fence did not lock (PostgreSQL only: it takes two sessions).
 *
 * Every fenced write tests `lease_held(task, claims)`, which was a plain EXISTS read. Worker A's lease
 * runs out while its activity is still running; worker B's claim locks the task row, bumps `claims` and
 * reads the (empty) journal, but has not committed yet. A's journal write, still naming the old claims
 * value, reads the last committed version of the task row, passes the fence and commits. B then
 * replays without A's result and runs the activity a second time, although its result committed;
 * B's own journal write meets A's row and returns nothing, which B takes for a lost lease, and the
 * task stays leased to B, doing nothing, for a whole lease.
 *
 * This test plays both workers by hand: A through the engine (its claim, then runThreadTask), B's
 * claim in a transaction of its own session, held open while A writes.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemFlow, type MemFlowInstance } from '../src/index.js';
import type { Engine } from '../src/engine/engine.js';
import { processRuntime } from '../src/runtime/runtime.js';
import { claimTasks } from '../src/sql/queries/tasks.js';
import type { ClaimedRow } from '../src/worker/claimed-task.js';
import { runThreadTask } from '../src/worker/thread-task.js';
import { LeaseGuard } from '../src/worker/lease-guard.js';
import { eventually, POSTGRES_URL, testConnection, uniqueAppId } from './support/backend.js';

let openGate: () => void = () => {};
let gate = new Promise<void>((r) => (openGate = r));
let executions = 0;
/** For each execution after the first: was a result of this step already committed when it ran? */
const ranAfterCommit: boolean[] = [];
let journalHasStep: () => Promise<boolean> = async () => false;

const acts = MemFlow.workflow.proxyActivities({
  activities: {
    async fencedStep(): Promise<string> {
      const n = ++executions;
      if (n === 1) await gate;
      else ranAfterCommit.push(await journalHasStep());
      return `execution-${n}`;
    },
  },
});

export async function fencedOnce(): Promise<string> {
  return acts.fencedStep();
}

const afterActs = MemFlow.workflow.proxyActivities({
  activities: {
    async afterStep(first: string): Promise<string> {
      return `${first}, then the next step`;
    },
  },
});

/** The fenced step's result is written by its own statement (appendResult): a durable call follows it. */
export async function fencedThenNext(): Promise<string> {
  return afterActs.afterStep(await acts.fencedStep());
}

let staleExecutions = 0;
const staleActs = MemFlow.workflow.proxyActivities({
  activities: {
    async staleStep(): Promise<string> {
      staleExecutions++;
      return 'from the stale run';
    },
  },
});

export async function staleOnce(): Promise<string> {
  return staleActs.staleStep();
}


describe('a fenced write and a claim of the same task', () => {
  let mf: MemFlowInstance;
  let engine: Engine;
  let workerB: pg.Client;
  let observer: pg.Client;
  beforeAll(async () => {
    mf = await MemFlow.init({ appId: uniqueAppId('fence'), engine: { connection: testConnection() } });
    engine = await mf.client.engine(mf.appId);
    workerB = new pg.Client({ connectionString: POSTGRES_URL });
    observer = new pg.Client({ connectionString: POSTGRES_URL });
    await workerB.connect();
    await observer.connect();
  });
  afterAll(async () => {
    await workerB.end().catch(() => {});
    await observer.end().catch(() => {});
    await mf.shutdown();
  });

  const run = (row: ClaimedRow, workflow: (...args: any[]) => Promise<string>) =>
    runThreadTask(row, {
      engine,
      program: processRuntime.threadProgram(engine, workflow),
      activities: processRuntime.activities,
      onSuspended: () => {},
      guard: new LeaseGuard(row.id, performance.now() + 30_000, async () => {}), // the claim's 30 s lease
    });

  // fencedOnce's step result is written by the statement that ends the run (finishThread);
  // fencedThenNext's by a statement of its own (appendResult), before the next step starts
  it.each([
    { workflow: fencedOnce, output: 'execution-2' },
    { workflow: fencedThenNext, output: 'execution-2, then the next step' },
  ])('serialise: the write of a worker whose lease was taken over fails, and the new holder finishes at once ($workflow.name)', async ({ workflow, output }) => {
    executions = 0;
    ranAfterCommit.length = 0;
    gate = new Promise<void>((r) => (openGate = r));
    const s = engine.sqlSchema;
    const topic = `fence-${workflow.name}`;
    const handle = await mf.workflow.start({ taskQueue: 'fence', workflowName: workflow.name });
    const id = handle.workflowId;
    journalHasStep = async () => (await observer.query(`SELECT 1 FROM ${s}.journal WHERE job_id = $1 AND seq = 1`, [id])).rowCount! > 0;

    // worker A claims with a short lease and starts the step
    const [rowA] = await eventually(async () => {
      const rows = (await engine.query(claimTasks, { owner: 'worker-a', leaseSeconds: 0.3, topics: [topic], limit: 1 })).rows;
      return rows.length > 0 && rows;
    });
    const runA = run(rowA!, workflow);
    await eventually(async () => executions === 1);
    // A's lease runs out (A is paused, say, or its heartbeat could not reach the database)
    await eventually(async () => (await observer.query(`SELECT 1 FROM ${s}.tasks WHERE id = $1 AND run_at <= now()`, [rowA!.id])).rowCount! > 0);

    // worker B's claim: the task row is locked and leased to B, the journal read, not yet committed
    await workerB.query('BEGIN');
    const claimedB = await workerB.query<ClaimedRow>(`SELECT * FROM ${s}.claim_tasks($1, $2, $3::text[], $4)`, ['worker-b', 30, [topic], 1]);
    const rowB = claimedB.rows[0]!;
    expect(rowB, 'B claimed the task').toBeTruthy();
    expect(rowB.journal, 'the journal B replays').toEqual([]);

    // A's step finishes now; its journal write either waits for B's claim or (the fault) commits
    openGate();
    let aSettled = false;
    void runA.finally(() => (aSettled = true));
    await eventually(async () => {
      const waiting = await observer.query(`SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%' || $1 || '.%'`, [s]);
      return aSettled || waiting.rowCount! > 0;
    });
    await workerB.query('COMMIT');
    await runA;

    // B runs what it claimed
    await run(rowB, workflow);
    expect.soft(ranAfterCommit, 'for each re-execution of the step: had its result already committed?').toEqual([false]);
    const job = await observer.query(`SELECT status, output FROM ${s}.jobs WHERE id = $1`, [id]);
    expect(job.rows[0], 'the job right after B ran').toEqual({ status: 'completed', output });
    expect(await handle.result()).toBe(output);
  }, 30_000);

  it('a run whose fenced write is refused while its claim is still current gives the task back at once', async () => {
    // A result this run did not replay is in the journal (what the fault above produced): the run's
    // write of the same step is refused. The run cannot go on, but the lease is still its own: the task
    // must be claimable again now, not when the lease runs out.
    const s = engine.sqlSchema;
    const handle = await mf.workflow.start({ taskQueue: 'fence', workflowName: 'staleOnce' });
    const id = handle.workflowId;
    const [row] = await eventually(async () => {
      const rows = (await engine.query(claimTasks, { owner: 'worker-c', leaseSeconds: 30, topics: ['fence-staleOnce'], limit: 1 })).rows;
      return rows.length > 0 && rows;
    });
    await observer.query(`INSERT INTO ${s}.journal (job_id, thread, seq, kind, name, status, result) VALUES ($1, 'main', 1, 'activity', 'staleStep', 'done', '"committed before"')`, [id]);
    await runThreadTask(row!, {
      engine,
      program: processRuntime.threadProgram(engine, staleOnce),
      activities: processRuntime.activities,
      onSuspended: () => {},
      guard: new LeaseGuard(row!.id, performance.now() + 30_000, async () => {}),
    });
    expect(staleExecutions).toBe(1);
    const task = await observer.query(`SELECT lease_owner, run_at <= now() AS ready FROM ${s}.tasks WHERE id = $1`, [row!.id]);
    expect(task.rows[0], 'the task after the refused write').toEqual({ lease_owner: null, ready: true });

    await mf.worker.create({ taskQueue: 'fence', workflow: staleOnce });
    const outcome = await Promise.race([handle.result(), new Promise((r) => setTimeout(() => r('still leased after 5 s'), 5000))]);
    expect(outcome).toBe('committed before');
    expect(staleExecutions, 'the replay answers the step from the journal').toBe(1);
  }, 30_000);

  it('an interrupt waits for a fenced write of the job it ends, without deadlocking it', async () => {
    // A fenced write now holds a lock on its task row until it commits, and may then update the job
    // row (a context op, a search op, the end of the thread). interrupt_job updated the job row first
    // and then deleted its tasks: the two waited for each other and PostgreSQL aborted one of them.
    const s = engine.sqlSchema;
    const handle = await mf.workflow.start({ taskQueue: 'fence-idle', workflowName: 'fencedOnce' });
    const id = handle.workflowId;
    const task = (await observer.query<{ id: string; claims: number }>(`SELECT id::text, claims FROM ${s}.tasks WHERE job_id = $1`, [id])).rows[0]!;

    await workerB.query('BEGIN');
    const held = await workerB.query(`SELECT ${s}.lease_held($1, $2) AS held`, [task.id, task.claims]);
    expect(held.rows[0].held).toBe(true);
    const interrupted = handle.interrupt().then(
      () => 'interrupted',
      (err: Error) => `interrupt failed: ${err.message}`,
    );
    await eventually(async () => {
      const waiting = await observer.query(`SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%interrupt_job%' AND pid <> pg_backend_pid()`);
      return waiting.rowCount! > 0;
    });
    // the rest of the fenced write: an update of the job row (here, what a context op writes)
    const write = await workerB.query(`UPDATE ${s}.jobs SET context = '{"a": 1}', updated_at = now() WHERE id = $1`, [id]).then(
      (r) => `updated ${r.rowCount}`,
      (err: Error) => `write failed: ${err.message}`,
    );
    await workerB.query(write.startsWith('updated') ? 'COMMIT' : 'ROLLBACK');
    expect({ write, interrupt: await interrupted }).toEqual({ write: 'updated 1', interrupt: 'interrupted' });
    const job = await observer.query(`SELECT status, context FROM ${s}.jobs WHERE id = $1`, [id]);
    expect(job.rows[0]).toEqual({ status: 'interrupted', context: { a: 1 } });
  }, 30_000);
});
