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
import { captureLogs, type LogEntry } from './support/log-capture.js';
import { eventually, testConnection, uniqueAppId } from './support/backend.js';

const { entries, logger, logged } = captureLogs();

/**
 * What a held step waits for: a promise the test resolves once it has seen what it waits for. A step
 * of a few seconds could end first on a loaded machine, and with it the heartbeats the test needs.
 */
function newGate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}
let gate = newGate();

let running = 0;
const acts = MemFlow.workflow.proxyActivities({
  activities: {
    async slowStep(hold: boolean) {
      running++;
      // at most a minute: a test that failed before opening its gate leaves no step waiting for ever
      if (hold) await Promise.race([gate.opened, new Promise((r) => setTimeout(r, 60_000).unref())]);
      return 'done';
    },
  },
});

export async function troubled(hold: boolean) {
  return acts.slowStep(hold);
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
    // Only the streak the rename causes counts: under a full suite's load a claim may also time out
    // before it (its own streak, logged once with its own recovery), as it did once in CI.
    const mark = entries.length;
    const since = (prefix: string) => entries.slice(mark).filter((e) => e.msg?.startsWith(prefix));
    const isRenameFailure = (e: LogEntry) => !!e.msg?.startsWith('claiming tasks failed') && /claim_tasks/.test(e.obj.err?.message);
    const streakFrom = () => entries.slice(mark).findIndex(isRenameFailure);
    await engine.driver.query(`ALTER FUNCTION ${claim} RENAME TO claim_tasks_away`);
    try {
      await mf.workflow.start({ taskQueue: 'trouble', workflowName: 'troubled', args: [false] }); // a NOTIFY: a claim now
      await eventually(async () => streakFrom() >= 0, 20_000);
      await new Promise((r) => setTimeout(r, 2500)); // more failed polls: still one entry for the streak
    } finally {
      await engine.driver.query(`ALTER FUNCTION ${engine.sqlSchema}.claim_tasks_away(text, float8, text[], int) RENAME TO claim_tasks`);
    }
    // the streak: from the first failure naming the renamed function to the recovery that follows it
    await eventually(async () => streakFrom() >= 0 && entries.slice(mark + streakFrom()).some((e) => e.msg?.startsWith('claiming tasks works again')), 20_000);
    const streak = entries.slice(mark + streakFrom());
    const end = streak.findIndex((e) => e.msg?.startsWith('claiming tasks works again'));
    const failed = streak.slice(0, end).filter((e) => e.msg?.startsWith('claiming tasks failed'));
    expect(failed, JSON.stringify(since('claiming tasks'))).toHaveLength(1);
    expect(failed[0]!.level).toBe('error');
    expect(failed[0]!.obj).toMatchObject({ appId: mf.appId });
    expect(failed[0]!.obj.topics).toContain('trouble-troubled');
    const again = streak[end]!;
    expect(again.level).toBe('info');
  }, 60_000);

  it('logs the lease heartbeat failing at warn once, and working again at info once', async () => {
    const schema = engine.sqlSchema;
    // Only the streak the trigger causes counts: under a full suite's load a heartbeat may also time out
    // (its 10 s deadline) before or after it: its own streak, logged once with its own recovery.
    const mark = entries.length;
    const since = (prefix: string) => entries.slice(mark).filter((e) => e.msg?.startsWith(prefix));
    const isRefused = (e: LogEntry) => !!e.msg?.startsWith('lease heartbeat failed') && String(e.obj.err?.message).includes('heartbeat refused by the test');
    const streakFrom = () => entries.slice(mark).findIndex(isRefused);
    const recovered = () => streakFrom() >= 0 && entries.slice(mark + streakFrom()).some((e) => e.msg?.startsWith('lease heartbeat works again'));
    // refuses what only a heartbeat does: move a held lease's end, same owner, same claims; and counts
    // the refusals (a sequence is not rolled back with the refused statement)
    await engine.driver.query(`CREATE SEQUENCE ${schema}.heartbeats_refused`);
    await engine.driver.query(`CREATE FUNCTION ${schema}.refuse_heartbeat() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN PERFORM nextval('${schema}.heartbeats_refused'); RAISE EXCEPTION 'heartbeat refused by the test'; END $$`);
    await engine.driver.query(`CREATE TRIGGER refuse_heartbeat BEFORE UPDATE ON ${schema}.tasks FOR EACH ROW
      WHEN (OLD.lease_owner IS NOT NULL AND NEW.lease_owner = OLD.lease_owner AND NEW.claims = OLD.claims AND NEW.run_at > OLD.run_at)
      EXECUTE FUNCTION ${schema}.refuse_heartbeat()`);
    const refusals = async () => {
      const res = await engine.driver.query(`SELECT CASE WHEN is_called THEN last_value ELSE 0 END AS n FROM ${schema}.heartbeats_refused`);
      return Number((res.rows[0] as { n: number | string }).n);
    };
    gate = newGate();
    const before = running;
    const handle = await mf.workflow.start({ taskQueue: 'trouble', workflowName: 'troubled', args: [true] });
    try {
      try {
        await eventually(async () => running > before, 20_000);
        await eventually(async () => streakFrom() >= 0, 20_000);
        // a second refused heartbeat (one a second) in the streak: still one entry for it
        await eventually(async () => (await refusals()) >= 2, 20_000);
      } finally {
        await engine.driver.query(`DROP TRIGGER refuse_heartbeat ON ${schema}.tasks`);
      }
      await eventually(async () => recovered(), 20_000);
      await new Promise((r) => setTimeout(r, 1500)); // the step still held: more heartbeats get through, and log nothing
    } finally {
      gate.open();
    }
    const streak = entries.slice(mark + streakFrom());
    const end = streak.findIndex((e) => e.msg?.startsWith('lease heartbeat works again'));
    const failed = streak.slice(0, end).filter((e) => e.msg?.startsWith('lease heartbeat failed'));
    expect(failed, JSON.stringify(since('lease heartbeat'))).toHaveLength(1);
    expect(failed[0]!.level).toBe('warn');
    expect(failed[0]!.obj).toMatchObject({ appId: mf.appId, held: 1 });
    expect(streak[end]!.level).toBe('info');
    // each streak (the test's, or one a loaded machine adds) logs its failure once and its recovery once
    const kinds = since('lease heartbeat').map((e) => (e.msg!.startsWith('lease heartbeat works again') ? 'again' : 'failed'));
    expect(kinds.every((k, i) => i === 0 || k !== kinds[i - 1]), JSON.stringify(since('lease heartbeat'))).toBe(true);
    expect(await handle.result()).toBe('done');
  }, 60_000);

  it('logs a lease taken away from a running task at warn, once, naming the job', async () => {
    gate = newGate(); // the step runs until the test has seen the heartbeat notice the lost lease
    const before = running;
    const handle = await mf.workflow.start({ taskQueue: 'trouble', workflowName: 'troubled', args: [true] });
    try {
      await eventually(async () => running > before, 20_000);
      // another worker's claim: the claims counter moves on, so this worker's heartbeat no longer returns the task
      await engine.driver.query(`UPDATE ${engine.sqlSchema}.tasks SET claims = claims + 1 WHERE job_id = $1`, [handle.workflowId]);
      const lost = await eventually(async () => logged('lease lost').find((e) => e.obj.jobId === handle.workflowId), 20_000);
      await new Promise((r) => setTimeout(r, 1500)); // another heartbeat: still one entry
      expect(logged('lease lost').filter((e) => e.obj.jobId === handle.workflowId)).toHaveLength(1);
      expect(lost.level).toBe('warn');
      expect(lost.obj).toMatchObject({ appId: mf.appId, thread: 'main', topic: 'trouble-troubled' });
    } finally {
      gate.open(); // the run the lost lease stopped runs again once the lease runs out, and finishes
    }
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
