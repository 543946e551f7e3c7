/**
 * Nothing fails silently: a runtime's logger hears, once each and at its level, an activity attempt
 * that failed (with the next delay), a workflow run that will be retried, a job that failed for good,
 * a parked job (with the non-determinism details), migrations applied, a worker started and stopped.
 * Entries are structured (appId, jobId, workflowName, taskQueue, seq, attempt, err).
 */
import { MemFlow, type MemFlowInstance } from 'hotmesh';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runtimeLogger } from '../src/telemetry/logger.js';
import { eventually, testConnection, uniqueAppId } from './support/backend.js';

interface Entry {
  level: 'debug' | 'info' | 'warn' | 'error';
  msg: string | undefined;
  obj: Record<string, any>;
  /** Entries logged in one synchronous run share a batch (one look at waiting starts logs its lines in one). */
  batch: number;
}

function recorder() {
  const entries: Entry[] = [];
  let batch = 0;
  let open = false;
  const at = (level: Entry['level']) => (obj: object, msg?: string) => {
    if (!open) {
      open = true;
      batch++;
      queueMicrotask(() => (open = false)); // runs once the code logging now has returned or awaited
    }
    entries.push({ level, msg, obj: obj as Record<string, any>, batch });
  };
  return { entries, logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } };
}

let flakyRuns = 0;
const acts = MemFlow.workflow.proxyActivities({
  activities: {
    async alwaysBroken() {
      throw new TypeError('cannot read the thing');
    },
  },
  retryPolicy: { maximumAttempts: 1, backoffCoefficient: 1 },
});

export async function logBrokenActivity() {
  return acts.alwaysBroken();
}

export async function logFlakyWorkflow() {
  flakyRuns++;
  throw new Error(`flaky run ${flakyRuns}`);
}

let drift = false;
export async function logDrifting() {
  if (drift) await MemFlow.workflow.sleepFor('1 second');
  else await MemFlow.workflow.waitFor('go');
  return 'done';
}

describe('logging', () => {
  const rec = recorder();
  let mf: MemFlowInstance;
  let appId: string;
  beforeAll(async () => {
    appId = uniqueAppId('logs');
    mf = await MemFlow.init({ appId, engine: { connection: testConnection() }, logger: rec.logger });
    for (const workflow of [logBrokenActivity, logFlakyWorkflow, logDrifting]) await mf.worker.create({ taskQueue: 'logs', workflow });
  });
  afterAll(() => mf.shutdown());

  const of = (msg: string) => rec.entries.filter((e) => e.msg === msg);

  it('logs migrations applied and workers started', () => {
    const migrations = of('migration applied');
    expect(migrations.length).toBeGreaterThan(5);
    expect(migrations.every((e) => e.level === 'info' && e.obj.appId === appId)).toBe(true);
    expect(migrations.map((e) => e.obj.migration)).toContain('0001_engine');
    expect(of('worker started').map((e) => e.obj.topic).sort()).toEqual(['logs-logBrokenActivity', 'logs-logDrifting', 'logs-logFlakyWorkflow']);
  });

  it('logs each failed activity attempt at warn with the next delay, then the failed job at error', async () => {
    const handle = await mf.workflow.start({ taskQueue: 'logs', workflowName: 'logBrokenActivity', config: { maximumAttempts: 1 } });
    await expect(handle.result()).rejects.toMatchObject({ code: expect.any(Number) });
    const attempts = rec.entries.filter((e) => e.obj.activity === 'alwaysBroken' && e.obj.jobId === handle.workflowId);
    expect(attempts.map((e) => [e.level, e.obj.attempt, e.obj.nextDelaySeconds])).toEqual([
      ['warn', 1, 1],
      ['warn', 2, undefined],
    ]);
    expect(attempts[0]!.msg).toBe('activity attempt failed; it will be retried');
    expect(attempts[0]!.obj).toMatchObject({ appId, workflowName: 'logBrokenActivity', taskQueue: 'logs', seq: 1 });
    expect(attempts[0]!.obj.err).toMatchObject({ type: 'TypeError', message: 'cannot read the thing' });
    expect(attempts[0]!.obj.err.stack).toContain('alwaysBroken');
    const failed = rec.entries.filter((e) => e.level === 'error' && e.obj.jobId === handle.workflowId);
    expect(failed).toHaveLength(1);
    expect(failed[0]!.msg).toBe('workflow failed');
  }, 30_000);

  it('logs a workflow run that will be retried (warn) and the job that failed for good (error), once each', async () => {
    const handle = await mf.workflow.start({
      taskQueue: 'logs',
      workflowName: 'logFlakyWorkflow',
      config: { maximumAttempts: 1, backoffCoefficient: 1 },
    });
    await expect(handle.result()).rejects.toMatchObject({ code: 597 });
    const mine = rec.entries.filter((e) => e.obj.jobId === handle.workflowId);
    expect(mine.map((e) => [e.level, e.msg, e.obj.attempt ?? e.obj.attempts])).toEqual([
      ['warn', 'workflow run failed; it will run again', 1],
      ['error', 'workflow failed: retries exhausted', 2],
    ]);
    expect(mine[0]!.obj).toMatchObject({ workflowName: 'logFlakyWorkflow', taskQueue: 'logs', nextDelaySeconds: 1 });
    expect(mine[1]!.obj.err.message).toBe('flaky run 2');
  }, 30_000);

  it('logs a parked job at error with the non-determinism details', async () => {
    drift = false;
    const handle = await mf.workflow.start({ taskQueue: 'logs', workflowName: 'logDrifting' });
    const engine = await mf.client.engine(appId);
    for (let i = 0; i < 200; i++) {
      const w = await engine.driver.query(`SELECT 1 FROM ${engine.sqlSchema}.waiters WHERE job_id = $1`, [handle.workflowId]);
      if (w.rows.length > 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    drift = true; // the code changes under the suspended job
    await handle.signal('go', null);
    await expect(handle.result()).rejects.toMatchObject({ code: 593 });
    const parked = rec.entries.filter((e) => e.obj.jobId === handle.workflowId && e.msg === 'job parked: non-deterministic replay');
    expect(parked).toHaveLength(1);
    expect(parked[0]!.level).toBe('error');
    expect(parked[0]!.obj).toMatchObject({ seq: 1, recorded: "wait('go')", attempted: "sleep('1 second')", code: 593 });
  }, 30_000);

  it('warns within seconds of a start on a topic no worker serves, naming the nearest served topics', async () => {
    drift = false;
    const fine = await mf.workflow.start({ taskQueue: 'logs', workflowName: 'logDrifting' }); // served: no warning
    const handle = await mf.workflow.start({ taskQueue: 'logs', workflowName: 'logFlakyWorkfow' }); // typo
    const started = Date.now();
    let warning: Entry | undefined;
    while (!warning && Date.now() - started < 10_000) {
      warning = rec.entries.find((e) => e.obj.jobId === handle.workflowId && e.level === 'warn');
      if (!warning) await new Promise((r) => setTimeout(r, 50));
    }
    expect(warning, 'a warning about the unserved topic').toBeDefined();
    expect(warning!.obj).toMatchObject({ appId, topic: 'logs-logFlakyWorkfow', nearestServedTopics: ['logs-logFlakyWorkflow'] });
    expect(warning!.msg).toContain("did you mean 'logs-logFlakyWorkflow'?");
    expect(rec.entries.filter((e) => e.obj.jobId === fine.workflowId)).toEqual([]);
    await fine.signal('go', null);
    expect(await fine.result()).toBe('done');
  }, 30_000);

  it('does not warn about a topic whose worker started elsewhere just before the start', async () => {
    // another runtime (as another process would), serving nothing yet: opened first, to keep the window
    // below short
    const other = await MemFlow.init({ appId, engine: { connection: testConnection() }, logLevel: 'silent' });
    try {
      // the starter has read the served list lately (a start on a typo makes it look), without the topic
      const typo = await mf.workflow.start({ taskQueue: 'logs', workflowName: 'logNobodyServesThis' });
      await eventually(async () => rec.entries.some((e) => e.obj.jobId === typo.workflowId && e.level === 'warn'), 10_000).catch(() => {});
      expect(rec.entries.some((e) => e.obj.jobId === typo.workflowId && e.level === 'warn'), 'the typo warned').toBe(true);
      const looked = Date.now(); // the list read by then is kept REFRESH_MS = 5 s, and lacks the topic below
      // the other runtime starts serving a topic, and a start on it follows at once
      await other.worker.create({ taskQueue: 'logs-late', workflow: logFlakyWorkflow });
      // its topic is recorded by its first statement, off worker.create's path; the look comes SETTLE_MS
      // (500 ms) after the start, which a loaded machine may not leave that statement: wait for its row
      const engine = await mf.client.engine(appId);
      await eventually(async () => {
        const res = await engine.driver.query(`SELECT 1 FROM ${engine.sqlSchema}.served_topics WHERE topic = $1`, ['logs-late-logFlakyWorkflow']);
        return res.rows.length > 0;
      }, 20_000);
      const late = await mf.workflow.start({ taskQueue: 'logs-late', workflowName: 'logFlakyWorkflow' });
      // an engine that trusts its list for "not served" warns here, while the list is under 5 s old
      console.log(`logging (${process.env.HOTMESH_TEST_BACKEND}): the late start came ${Date.now() - looked} ms after the served list was read`);
      await new Promise((r) => setTimeout(r, 2500)); // past the look at starts not known served
      expect(rec.entries.filter((e) => e.obj.topic === 'logs-late-logFlakyWorkflow')).toEqual([]);
      expect(late.workflowId).toBeTruthy();
    } finally {
      await other.shutdown();
    }
  }, 30_000);

  it('warns about a burst of starts on one unserved topic in a bounded number of lines', async () => {
    const topic = 'logs-logBurstTypo';
    const ids = (await Promise.all(Array.from({ length: 13 }, () => mf.workflow.start({ taskQueue: 'logs', workflowName: 'logBurstTypo' })))).map(
      (h) => h.workflowId,
    );
    const about = () => rec.entries.filter((e) => e.obj.topic === topic && e.level === 'warn');
    // a line per start named (jobId), and the rest of a look's starts in one line (starts: n)
    const accounted = () => about().reduce((n, e) => n + (e.obj.jobId !== undefined ? 1 : e.obj.starts), 0);
    await eventually(async () => accounted() >= 13, 20_000).catch(() => {});
    await new Promise((r) => setTimeout(r, 200)); // nothing more comes
    const lines = about();
    expect(accounted(), JSON.stringify(lines)).toBe(13);
    const named = lines.filter((e) => e.obj.jobId !== undefined).map((e) => e.obj.jobId);
    expect(new Set(named).size).toBe(named.length);
    expect(ids).toEqual(expect.arrayContaining(named));
    // The 13 starts usually fall in one look at the starts (10 named lines, then 'and 3 more'), but on a
    // loaded machine they may straddle two (a look takes the starts of the 500 ms since the first): each
    // look names at most 10 and sums up the rest, if any, in one last line
    const looks = [...new Set(lines.map((e) => e.batch))].map((b) => lines.filter((e) => e.batch === b));
    console.log(`logging (${process.env.HOTMESH_TEST_BACKEND}): the burst's lines per look: ${looks.map((l) => l.length).join(', ')}`);
    for (const look of looks) {
      const lookNamed = look.filter((e) => e.obj.jobId !== undefined);
      const summaries = look.filter((e) => e.obj.jobId === undefined);
      expect(lookNamed.length, JSON.stringify(look)).toBeLessThanOrEqual(10);
      expect(summaries.length, JSON.stringify(look)).toBeLessThanOrEqual(1);
      if (summaries.length === 1) {
        expect(lookNamed, 'a look sums up only the starts past the 10 it names').toHaveLength(10);
        expect(look[look.length - 1]).toBe(summaries[0]);
        expect(summaries[0]!.obj.starts).toBeGreaterThan(0);
      }
    }
  }, 30_000);

  it('warns about a start on an unserved topic even when the client shuts down at once', async () => {
    const own = recorder();
    const client = await MemFlow.init({ appId, engine: { connection: testConnection() }, logger: own.logger });
    const handle = await client.workflow.start({ taskQueue: 'logs', workflowName: 'logTypoThenExit' });
    await client.shutdown();
    expect(own.entries.filter((e) => e.level === 'warn' && e.obj.jobId === handle.workflowId)).toHaveLength(1);
  }, 30_000);

  it('a logger that throws on the warning does not end the process', async () => {
    const throwing = { debug() {}, info() {}, error() {}, warn() { throw new Error('logger broke'); } };
    const client = await MemFlow.init({ appId, engine: { connection: testConnection() }, logger: throwing });
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      await client.workflow.start({ taskQueue: 'logs', workflowName: 'logTypoLoggerThrows' });
      await new Promise((r) => setTimeout(r, 1500)); // past the look
      await client.shutdown();
      await new Promise((r) => setTimeout(r, 50));
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    expect(unhandled).toEqual([]);
  }, 30_000);

  it("a logger that throws does not change what the engine does: a failing activity's attempts are journaled, the job fails on time", async () => {
    // a black-box pass: with warn() throwing, the failed attempt was never journaled, the task failed
    // in the worker, and the activity ran again every lease (30 s) for ever; the job stayed running
    const throwing = { debug() {}, info() {}, error() { throw new Error('logger broke'); }, warn() { throw new Error('logger broke'); } };
    const client = await MemFlow.init({ appId, engine: { connection: testConnection() }, logger: throwing });
    try {
      await client.worker.create({ taskQueue: 'logs-throwing', workflow: logBrokenActivity });
      const handle = await client.workflow.start({ taskQueue: 'logs-throwing', workflowName: 'logBrokenActivity' });
      const outcome = await Promise.race([
        handle.result().then(() => 'completed', (err: { code?: number }) => `failed ${err.code}`),
        new Promise((r) => setTimeout(() => r('still running after 10 s'), 10_000)),
      ]);
      expect(outcome).toBe('failed 598'); // one retry (maximumAttempts 1), 1 s apart, then a MemFlowFatalError
      const history = await handle.history();
      expect(history.find((e) => e.name === 'alwaysBroken')).toMatchObject({ status: 'failed', attempt: 2 });
    } finally {
      await client.shutdown();
    }
  }, 30_000);

  it('refuses a logger without pino\'s four methods, and a level that is not one, before anything opens', async () => {
    for (const logger of [5, 'pino', { info() {}, error() {} }]) {
      await expect(MemFlow.init({ appId, engine: { connection: testConnection() }, logger: logger as never })).rejects.toMatchObject({ kind: 'ValidationError', field: 'logger' });
    }
    await expect(MemFlow.init({ appId, engine: { connection: testConnection() }, logLevel: 'verbose' as never })).rejects.toMatchObject({ kind: 'ValidationError', field: 'logLevel' });
  });

  it('logs the workers stopped at shutdown', async () => {
    const extra = await MemFlow.init({ appId, engine: { connection: testConnection() }, logger: rec.logger });
    await extra.worker.create({ taskQueue: 'logs-extra', workflow: logFlakyWorkflow });
    await extra.shutdown();
    const stopped = of('worker stopped').filter((e) => e.obj.topics?.includes('logs-extra-logFlakyWorkflow'));
    expect(stopped).toHaveLength(1);
    expect(stopped[0]!.level).toBe('info');
  });
});

describe('log levels', () => {
  it('filters below logLevel, and HOTMESH_LOG_LEVEL overrides it', () => {
    const rec = recorder();
    const warnOnly = runtimeLogger({ logger: rec.logger, logLevel: 'warn' }, {});
    warnOnly.info({}, 'dropped');
    warnOnly.warn({}, 'kept');
    const overridden = runtimeLogger({ logger: rec.logger, logLevel: 'debug' }, { HOTMESH_LOG_LEVEL: 'error' });
    overridden.warn({}, 'dropped too');
    overridden.error({}, 'kept too');
    const silent = runtimeLogger({ logger: rec.logger, logLevel: 'silent' }, {});
    silent.error({}, 'never');
    expect(rec.entries.map((e) => e.msg)).toEqual(['kept', 'kept too']);
  });

  // a black-box pass: HOTMESH_LOG_LEVEL=verbose was ignored without a word
  it('says on stderr that a HOTMESH_LOG_LEVEL it does not know is ignored', () => {
    const rec = recorder();
    const said: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      said.push(String(chunk));
      return true;
    });
    try {
      const logger = runtimeLogger({ logger: rec.logger, logLevel: 'warn' }, { HOTMESH_LOG_LEVEL: 'verbose' });
      logger.info({}, 'dropped');
      logger.warn({}, 'kept');
      runtimeLogger({ logger: rec.logger }, { HOTMESH_LOG_LEVEL: '' }); // unset: nothing to say
      runtimeLogger({ logger: rec.logger }, { HOTMESH_LOG_LEVEL: 'verbose' }); // said once a process
    } finally {
      spy.mockRestore();
    }
    expect(said).toEqual(['hotmesh: HOTMESH_LOG_LEVEL="verbose" is not a level (debug, info, warn, error, silent); it is ignored\n']);
    expect(rec.entries.map((e) => e.msg)).toEqual(['kept']);
  });

  it('takes a pino logger as it is', () => {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(line) });
    const log = runtimeLogger({ logger }, {});
    log.warn({ appId: 'a', jobId: 'j', err: { message: 'boom' } }, 'activity attempt failed; it will be retried');
    log.debug({}, 'below pino level');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 40, appId: 'a', jobId: 'j', msg: 'activity attempt failed; it will be retried' });
  });
});
