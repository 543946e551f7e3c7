/**
 * The retention sweep and a hook start that is being accepted at the same moment (PostgreSQL only: it
 * needs a second session holding the hook start's transaction open). The sweep was one statement whose
 * "no hook runs on this job" check read a snapshot from before it deleted: a hook start committing in
 * between was deleted with its job, and the hook's work was lost, with nothing logged. Now a hook start
 * holds its job FOR KEY SHARE until it commits, the sweep locks its jobs first (SKIP LOCKED) and checks
 * for hooks in a second statement (sweep_expired_jobs, migration 0065).
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobNotFoundError, MemFlow, type MemFlowInstance } from '../src/index.js';
import type { Engine } from '../src/engine/engine.js';
import { bindParams } from '../src/sql/define-query.js';
import * as hooks from '../src/sql/queries/hooks.js';
import { workflowTopic } from '../src/topics.js';
import { deleteExpiredJobs } from '../src/worker/expired-jobs.js';
import { eventually, POSTGRES_URL, testConnection, uniqueAppId } from './support/backend.js';

export async function finishes() {
  return 'done';
}

export async function writesContext() {
  const ctx = await MemFlow.workflow.context();
  await ctx.set('hooked', true);
}

const QUEUE = 'sweeprace';

describe('the retention sweep and a hook start in flight', () => {
  let mf: MemFlowInstance;
  let engine: Engine;
  let session: pg.Client;
  beforeAll(async () => {
    mf = await MemFlow.init({ appId: uniqueAppId('sweeprace'), engine: { connection: testConnection() }, logLevel: 'silent' });
    await mf.worker.create({ taskQueue: QUEUE, workflow: finishes });
    await mf.worker.create({ taskQueue: QUEUE, workflow: writesContext });
    engine = await mf.client.engine(mf.appId);
    session = new pg.Client({ connectionString: POSTGRES_URL });
    await session.connect();
  });
  afterAll(async () => {
    await session.query('ROLLBACK').catch(() => {});
    await session.end().catch(() => {});
    await mf.shutdown();
  });

  it('leaves a job whose hook start has not committed yet; the hook runs, and the job goes after it', async () => {
    const handle = await mf.workflow.start({ taskQueue: QUEUE, workflowName: 'finishes' });
    expect(await handle.result()).toBe('done');

    // a client's hook start, inside a transaction this test holds open: the engine's own statement
    const topic = workflowTopic(QUEUE, 'writesContext');
    await session.query('BEGIN');
    const started = await session.query(
      engine.bind(hooks.startHookOutside).text,
      bindParams(hooks.startHookOutside, {
        targetId: handle.workflowId,
        hookThread: 'hook-in-flight',
        workflowName: 'writesContext',
        taskQueue: QUEUE,
        topic,
        args: '[]',
        channel: engine.channel,
        origin: engine.origin,
        trace: null,
        config: null,
        search: '{}',
      }),
    );
    expect(started.rows[0].started).toBe(1);

    // meanwhile the job's retention runs out (not a key column: the hook start's lock allows this)
    await engine.driver.query(`UPDATE ${engine.sqlSchema}.jobs SET expire_at = now() - interval '1 second' WHERE id = $1`, [handle.workflowId]);
    const round = await deleteExpiredJobs(engine, 'test-sweep-race', 500);
    expect(round.held).toBe(true);
    expect(round.deleted, 'the sweep deleted a job whose hook start was in flight').toBe(0);

    await session.query('COMMIT');
    engine.localWake(topic);
    // the accepted hook runs on its job, and its write lands
    await eventually(async () => (await handle.context().get('hooked')) === true, 15_000, 100);
    // once the hook has ended, the job goes
    await eventually(async () => {
      await deleteExpiredJobs(engine, 'test-sweep-race', 500);
      return (await handle.describe().catch((e: unknown) => e)) instanceof JobNotFoundError;
    }, 15_000, 200);
  }, 40_000);
});
