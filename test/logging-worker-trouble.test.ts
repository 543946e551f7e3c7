/**
 * A worker's trouble is logged, once per streak, at its level, with its fields, on both backends:
 * claims failing (error) and working again (info), the lease heartbeat failing (warn) and working
 * again (info), a lease taken away from a running task (warn, naming the job). Faults are injected
 * in the app's own schema: the claim function renamed away, a trigger refusing heartbeats, the task's
 * claims counter moved on as another worker's claim would.
 *
 * And a pino instance as the logger, as it is: a failed activity attempt arrives as one JSON line at
 * pino's warn level with the structured fields.
 */
import { MemFlow, type MemFlowInstance } from 'hotmesh';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureLogs } from './support/log-capture.js';
import { eventually, testConnection, uniqueAppId } from './support/backend.js';

const { entries, logger, logged } = captureLogs();

let running = 0;
const acts = MemFlow.workflow.proxyActivities({
  activities: {
    async slowStep(ms: number) {
      running++;
      await new Promise((r) => setTimeout(r, ms));
      return 'done';
    },
  },
});

export async function troubled(ms: number) {
  return acts.slowStep(ms);
}

describe('logged worker trouble', () => {
  let mf: MemFlowInstance;
  let engine: Awaited<ReturnType<MemFlowInstance['client']['engine']>>;
  beforeAll(async () => {
    mf = await MemFlow.init({ appId: uniqueAppId('log-trouble'), engine: { connection: testConnection() }, logger, worker: { leaseSeconds: 3 } });
    await mf.worker.create({ taskQueue: 'trouble', workflow: troubled });
    engine = await mf.client.engine(mf.appId);
  });
  afterAll(() => mf.shutdown());

  it('logs claims failing at error once, and working again at info once', async () => {
    const claim = `${engine.sqlSchema}.claim_tasks(text, float8, text[], int)`;
    await engine.driver.query(`ALTER FUNCTION ${claim} RENAME TO claim_tasks_away`);
    try {
      await mf.workflow.start({ taskQueue: 'trouble', workflowName: 'troubled', args: [0] }); // a NOTIFY: a claim now
      await eventually(async () => logged('claiming tasks failed').length > 0, 20_000);
      await new Promise((r) => setTimeout(r, 2500)); // more failed polls: still one entry for the streak
    } finally {
      await engine.driver.query(`ALTER FUNCTION ${engine.sqlSchema}.claim_tasks_away(text, float8, text[], int) RENAME TO claim_tasks`);
    }
    await eventually(async () => logged('claiming tasks works again').length > 0, 20_000);
    const failed = logged('claiming tasks failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.level).toBe('error');
    expect(failed[0]!.obj).toMatchObject({ appId: mf.appId });
    expect(failed[0]!.obj.topics).toContain('trouble-troubled');
    expect(failed[0]!.obj.err.message).toMatch(/claim_tasks/);
    const again = logged('claiming tasks works again');
    expect(again).toHaveLength(1);
    expect(again[0]!.level).toBe('info');
  }, 60_000);

  it('logs the lease heartbeat failing at warn once, and working again at info once', async () => {
    const schema = engine.sqlSchema;
    // refuses what only a heartbeat does: move a held lease's end, same owner, same claims
    await engine.driver.query(`CREATE FUNCTION ${schema}.refuse_heartbeat() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'heartbeat refused by the test'; END $$`);
    await engine.driver.query(`CREATE TRIGGER refuse_heartbeat BEFORE UPDATE ON ${schema}.tasks FOR EACH ROW
      WHEN (OLD.lease_owner IS NOT NULL AND NEW.lease_owner = OLD.lease_owner AND NEW.claims = OLD.claims AND NEW.run_at > OLD.run_at)
      EXECUTE FUNCTION ${schema}.refuse_heartbeat()`);
    const before = running;
    const handle = await mf.workflow.start({ taskQueue: 'trouble', workflowName: 'troubled', args: [5000] });
    try {
      await eventually(async () => running > before, 20_000);
      await eventually(async () => logged('lease heartbeat failed').length > 0, 20_000);
    } finally {
      await engine.driver.query(`DROP TRIGGER refuse_heartbeat ON ${schema}.tasks`);
    }
    await eventually(async () => logged('lease heartbeat works again').length > 0, 20_000);
    const failed = logged('lease heartbeat failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.level).toBe('warn');
    expect(failed[0]!.obj).toMatchObject({ appId: mf.appId, held: 1 });
    expect(failed[0]!.obj.err.message).toContain('heartbeat refused by the test');
    expect(logged('lease heartbeat works again')).toHaveLength(1);
    expect(logged('lease heartbeat works again')[0]!.level).toBe('info');
    expect(await handle.result()).toBe('done');
  }, 60_000);

  it('logs a lease taken away from a running task at warn, once, naming the job', async () => {
    const before = running;
    const handle = await mf.workflow.start({ taskQueue: 'trouble', workflowName: 'troubled', args: [4000] });
    await eventually(async () => running > before, 20_000);
    // another worker's claim: the claims counter moves on, so this worker's heartbeat no longer returns the task
    await engine.driver.query(`UPDATE ${engine.sqlSchema}.tasks SET claims = claims + 1 WHERE job_id = $1`, [handle.workflowId]);
    const lost = await eventually(async () => logged('lease lost').find((e) => e.obj.jobId === handle.workflowId), 15_000);
    await new Promise((r) => setTimeout(r, 1500)); // another heartbeat: still one entry
    expect(logged('lease lost').filter((e) => e.obj.jobId === handle.workflowId)).toHaveLength(1);
    expect(lost.level).toBe('warn');
    expect(lost.obj).toMatchObject({ appId: mf.appId, thread: 'main', topic: 'trouble-troubled' });
  }, 60_000);
});

const broken = MemFlow.workflow.proxyActivities({
  activities: {
    async brokenForPino() {
      throw new TypeError('pino sees this');
    },
  },
  retryPolicy: { maximumAttempts: 1, backoffCoefficient: 1 },
});

export async function pinoLogged() {
  return broken.brokenForPino();
}

describe('a pino logger, as it is', () => {
  const lines: Array<Record<string, any>> = [];
  let mf: MemFlowInstance;
  beforeAll(async () => {
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
    mf = await MemFlow.init({ appId: uniqueAppId('log-pino'), engine: { connection: testConnection() }, logger });
    await mf.worker.create({ taskQueue: 'pino', workflow: pinoLogged });
  });
  afterAll(() => mf.shutdown());

  it('gets structured JSON lines at pino’s levels', async () => {
    const handle = await mf.workflow.start({ taskQueue: 'pino', workflowName: 'pinoLogged', config: { maximumAttempts: 1 } });
    await expect(handle.result()).rejects.toBeDefined();
    const mine = lines.filter((l) => l.jobId === handle.workflowId);
    const retried = mine.find((l) => l.msg === 'activity attempt failed; it will be retried');
    expect(retried).toMatchObject({
      level: 40,
      appId: mf.appId,
      workflowName: 'pinoLogged',
      taskQueue: 'pino',
      activity: 'brokenForPino',
      seq: 1,
      attempt: 1,
      nextDelaySeconds: 1,
      err: { type: 'TypeError', message: 'pino sees this' },
    });
    expect(mine.filter((l) => l.level === 50).map((l) => l.msg)).toEqual(['workflow failed']);
    expect(lines.some((l) => l.msg === 'migration applied' && l.level === 30)).toBe(true);
    expect(lines.some((l) => l.msg === 'worker started' && l.topic === 'pino-pinoLogged')).toBe(true);
    expect(lines.every((l) => l.level >= 30)).toBe(true); // pino's own level filters debug
  }, 30_000);
});
