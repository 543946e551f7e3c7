/**
 * Logged connection trouble (PostgreSQL only, by configuration: it terminates the engine's sessions):
 * the LISTEN connection lost (warn) and regained (info), and a lease taken away from a running task
 * (warn), each once, with its fields.
 */
import { MemFlow, type MemFlowInstance } from 'hotmesh';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schemaForApp } from '../src/storage/sql-identifier.js';
import { captureLogs } from './support/log-capture.js';
import { eventually, POSTGRES_URL, testConnection, uniqueAppId } from './support/backend.js';

const { entries, logger } = captureLogs();

let started = false;
/**
 * What the step waits for: the test opens it once the heartbeat has noticed the lease lost (a step of a
 * few seconds could end first on a loaded machine, and its run would then stop holding the task).
 */
let open!: () => void;
const opened = new Promise<void>((resolve) => (open = resolve));
const acts = MemFlow.workflow.proxyActivities({
  activities: {
    async longStep() {
      started = true;
      // at most a minute: a test that failed before opening the gate leaves no step waiting for ever
      await Promise.race([opened, new Promise((r) => setTimeout(r, 60_000).unref())]);
      return 'done';
    },
  },
});

export async function holdsALease() {
  return acts.longStep();
}

describe('logged connection trouble', () => {
  let mf: MemFlowInstance;
  let admin: pg.Client;
  beforeAll(async () => {
    mf = await MemFlow.init({ appId: uniqueAppId('log-conn'), engine: { connection: testConnection() }, logger, worker: { leaseSeconds: 3 } });
    await mf.worker.create({ taskQueue: 'log-conn', workflow: holdsALease });
    admin = new pg.Client({ connectionString: POSTGRES_URL });
    await admin.connect();
  });
  afterAll(async () => {
    await admin.end();
    await mf.shutdown();
  });

  it('logs the LISTEN connection lost at warn and regained at info', async () => {
    // only this app's LISTEN session: the other test files share the database
    const killed = await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'hotmesh-listen' AND query LIKE $1`, [
      `%${schemaForApp(mf.appId)}%`,
    ]);
    expect(killed.rowCount).toBeGreaterThan(0);
    await eventually(async () => entries.some((e) => e.msg?.startsWith('database notifications regained')), 20_000);
    const lost = entries.filter((e) => e.msg?.startsWith('database notifications lost'));
    expect(lost.length).toBeGreaterThanOrEqual(1);
    expect(lost[0]!.level).toBe('warn');
    expect(lost[0]!.obj.topics).toContain('log-conn-holdsALease');
    expect(entries.find((e) => e.msg?.startsWith('database notifications regained'))!.level).toBe('info');
  }, 30_000);

  it('logs a lease taken away from a running task at warn, naming the job', async () => {
    const handle = await mf.workflow.start({ taskQueue: 'log-conn', workflowName: 'holdsALease' });
    const engine = await mf.client.engine(mf.appId);
    try {
      await eventually(async () => started, 20_000);
      // another worker's claim: the claims counter moves on, so this worker's heartbeat no longer returns the task
      await admin.query(`UPDATE ${engine.sqlSchema}.tasks SET claims = claims + 1 WHERE job_id = $1`, [handle.workflowId]);
      const lost = await eventually(async () => entries.find((e) => e.msg?.startsWith('lease lost') && e.obj.jobId === handle.workflowId), 20_000);
      expect(lost.level).toBe('warn');
      expect(lost.obj).toMatchObject({ thread: 'main', topic: 'log-conn-holdsALease' });
    } finally {
      open(); // the run the lost lease stopped runs again once the lease runs out, and finishes
    }
  }, 60_000);
});
