/**
 * The database refuses the statement that ends a run, with an error it would raise again on every
 * attempt (SQLSTATE class 22, bad data). The run must end: the job (or the activity call) fails with
 * code 598 and a message naming the statement and the database error. It must not stay leased and be
 * claimed again every lease, forever.
 *
 * The refusals are real database errors, raised by the server: the engine's driver is wrapped so
 * that one chosen statement of one chosen job is sent with one parameter replaced by a value the
 * server refuses (a jsonb `\u0000` escape: 22P05; a due time out of range: 22008 or 22003). The last test
 * needs no wrapping: a ValidationError whose details quote a NUL the workflow passed to sleepFor.
 *
 * Leases are 2 s here, so a task left leased is re-run within the test's window.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../src/engine/engine.js';
import { MemFlow, MemFlowFatalError, type MemFlowInstance } from '../src/index.js';
import type { Query } from '../src/sql/define-query.js';
import { NAMED_QUERIES } from '../src/sql/queries/index.js';
import { testConnection, uniqueAppId } from './support/backend.js';
import { interceptNamed } from './support/intercept-named.js';

const SETTLE_MS = 7_000;
const runs = new Map<string, number>();
const executions = new Map<string, number>();
const count = (map: Map<string, number>, tag: string) => map.set(tag, (map.get(tag) ?? 0) + 1);

export async function finishes(tag: string): Promise<string> {
  count(runs, tag);
  return `${tag}:ok`;
}

export async function sleeps(tag: string): Promise<string> {
  count(runs, tag);
  await MemFlow.workflow.sleepFor('2 seconds');
  return `${tag}:woke`;
}

export async function throws(tag: string): Promise<string> {
  count(runs, tag);
  throw new Error(`${tag}: try again`);
}

export async function badDuration(tag: string): Promise<string> {
  count(runs, tag);
  await MemFlow.workflow.sleepFor(`5\u0000 seconds`); // ValidationError; its details quote the raw NUL
  return 'unreachable';
}

const remoteActs = {
  async lookup(tag: string): Promise<string> {
    count(executions, tag);
    return `${tag}:looked-up`;
  },
  async flaky(tag: string): Promise<string> {
    count(executions, tag);
    throw new Error(`${tag}: flaky`);
  },
};
const remote = MemFlow.workflow.proxyActivities<typeof remoteActs>({
  taskQueue: 'refused-remote',
  retryPolicy: { maximumAttempts: 3, backoffCoefficient: 1, maximumInterval: '1 second' },
});

export async function callsRemote(tag: string, which: 'lookup' | 'flaky'): Promise<string> {
  count(runs, tag);
  try {
    return await remote[which](tag);
  } catch (err) {
    const e = err as Error & { code?: number };
    return `caught ${e.code}: ${e.message}`;
  }
}

/** A hook that returns without answering its execHook (its finish is what gets refused). */
export async function silentHook(tag: string): Promise<string> {
  count(runs, tag);
  return `${tag}:no answer`;
}

export async function waitsOnRefusedHook(tag: string): Promise<string> {
  try {
    return await MemFlow.workflow.execHook({ taskQueue: 'refused', workflowName: 'silentHook', args: [tag] });
  } catch (err) {
    const e = err as Error & { code?: number };
    if (MemFlow.didInterrupt(e) && !e.code) throw e;
    return `caught ${e.code}: ${e.message}`;
  }
}

/** A hook that fails for good (its finish, recording the failure, is what gets refused). */
export async function givesUpHook(tag: string): Promise<string> {
  count(runs, tag);
  throw new MemFlowFatalError(`${tag}: gave up`);
}

export async function waitsOnGivingUpHook(tag: string): Promise<string> {
  try {
    return await MemFlow.workflow.execHook({ taskQueue: 'refused', workflowName: 'givesUpHook', args: [tag] });
  } catch (err) {
    const e = err as Error & { code?: number };
    if (MemFlow.didInterrupt(e) && !e.code) throw e;
    return `caught ${e.code}: ${e.message}`;
  }
}


describe('a statement that ends a run, refused by the database for its data', () => {
  let mf: MemFlowInstance;
  let engine: Engine;
  let restore = () => {};
  /**
   * Corrupt one parameter of the chosen statement whenever its other parameters match `when`: the
   * server refuses it every time, as it would a value that is bad in itself.
   */
  const corruptions: Array<{ sql: string; when: Record<number, unknown>; param: number; value: unknown }> = [];
  let refused = 0;

  function corrupt(query: Query<any, any>, when: Record<string, unknown>, param: string, value: unknown) {
    const positions = Object.fromEntries(Object.entries(when).map(([name, v]) => [query.params.indexOf(name), v]));
    corruptions.push({ sql: engine.bind(query).text, when: positions, param: query.params.indexOf(param), value });
  }

  beforeAll(async () => {
    mf = await MemFlow.init({ appId: uniqueAppId('refused'), engine: { connection: testConnection() }, worker: { leaseSeconds: 2 } });
    engine = await mf.client.engine(mf.appId);
    restore = interceptNamed(engine, async (send, name, sql, params) => {
      const hit = corruptions.find((c) => c.sql === sql && Object.entries(c.when).every(([i, v]) => params[Number(i)] === v));
      if (!hit) return send(name, sql, params);
      refused++;
      const changed = [...params];
      changed[hit.param] = hit.value;
      return send(name, sql, changed);
    });
    for (const workflow of [finishes, sleeps, throws, badDuration, callsRemote, silentHook, waitsOnRefusedHook, givesUpHook, waitsOnGivingUpHook]) {
      await mf.worker.create({ taskQueue: 'refused', workflow, options: { maximumAttempts: 2, backoffCoefficient: 1, maximumInterval: '1 second' } });
    }
    await mf.worker.registerActivityWorker({ options: { leaseSeconds: 2 } }, remoteActs, 'refused-remote');
  });
  afterAll(async () => {
    restore();
    await mf.shutdown();
  });

  async function settle(workflowName: string, tag: string, args: unknown[]) {
    const handle = await mf.workflow.start({ taskQueue: 'refused', workflowName, workflowId: tag, args });
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      handle.result().then(
        (value) => ({ value }),
        (error: Error & { code?: number }) => ({ code: error.code, message: error.message }),
      ),
      new Promise<{ timedOut: true }>((resolve) => {
        timer = setTimeout(() => resolve({ timedOut: true }), SETTLE_MS);
      }),
    ]);
    clearTimeout(timer);
    return outcome as { value?: unknown; code?: number; message?: string; timedOut?: true };
  }

  async function taskCount(jobId: string): Promise<number> {
    const res = await engine.driver.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${engine.sqlSchema}.tasks WHERE job_id = $1`, [jobId]);
    return res.rows[0]!.n;
  }

  it('finishThread refused (22P05 in the result): the job fails with 598 naming the statement, and is not re-run', async () => {
    const tag = `finish-${Date.now()}`;
    corrupt(NAMED_QUERIES.finishThread!, { jobId: tag, status: 'completed' }, 'output', '"\\u0000"');
    const outcome = await settle('finishes', tag, [tag]);
    expect(outcome.timedOut).toBeUndefined();
    expect(outcome.code).toBe(598);
    expect(outcome.message).toMatch(/finishThread/);
    expect(outcome.message).toMatch(/22P05/);
    expect(outcome.message).toMatch(/unsupported Unicode escape sequence/);
    expect(runs.get(tag)).toBe(1);
    expect(await taskCount(tag)).toBe(0);
  });

  it("a hook's finishThread refused: the execHook that waits on it throws the 598 instead of waiting forever", async () => {
    const tag = `hook-${Date.now()}`;
    // the execHook is the workflow's first call: its hook runs as thread main/1
    corrupt(NAMED_QUERIES.finishThread!, { jobId: tag, thread: 'main/1', status: 'completed' }, 'output', '"\\u0000"');
    const outcome = await settle('waitsOnRefusedHook', tag, [tag]);
    expect(outcome.timedOut).toBeUndefined();
    expect(outcome.value).toMatch(/^caught 598: .*finishThread/);
    expect(runs.get(tag)).toBe(1); // the hook ran once
  });

  it("a failed hook's finishThread refused: its execHook gets the hook's own failure, once", async () => {
    const tag = `gaveup-${Date.now()}`;
    corrupt(NAMED_QUERIES.finishThread!, { jobId: tag, thread: 'main/1', status: 'failed' }, 'error', '"\\u0000"');
    const outcome = await settle('waitsOnGivingUpHook', tag, [tag]);
    expect(outcome.value).toBe(`caught 598: ${tag}: gave up`);
    // the refused finish sent no second failure after the first (it would stay buffered, unread)
    await new Promise((r) => setTimeout(r, 500));
    const res = await engine.driver.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${engine.sqlSchema}.signals WHERE job_id = $1`, [tag]);
    expect(res.rows[0]!.n).toBe(0);
  });

  it('suspendThread refused (a due time out of range): the job fails with 598 naming the statement', async () => {
    const tag = `suspend-${Date.now()}`;
    corrupt(NAMED_QUERIES.suspendThread!, { jobId: tag }, 'timers', JSON.stringify([{ seq: 1, name: 'sleep', value: null, secs: 1e308 }]));
    const outcome = await settle('sleeps', tag, [tag]);
    expect(outcome.timedOut).toBeUndefined();
    expect(outcome.code).toBe(598);
    expect(outcome.message).toMatch(/suspendThread/);
    expect(outcome.message).toMatch(/SQLSTATE 22/); // 22008 on PostgreSQL 15, 22003 on PGlite
    expect(runs.get(tag)).toBe(1);
    expect(await taskCount(tag)).toBe(0);
  });

  it('retryThread refused (22P05 in the stored error): the job fails with 598 naming the statement', async () => {
    const tag = `retry-${Date.now()}`;
    corrupt(NAMED_QUERIES.retryThread!, { jobId: tag }, 'error', '{"message":"\\u0000"}');
    const outcome = await settle('throws', tag, [tag]);
    expect(outcome.timedOut).toBeUndefined();
    expect(outcome.code).toBe(598);
    expect(outcome.message).toMatch(/retryThread/);
    expect(runs.get(tag)).toBe(1);
    expect(await taskCount(tag)).toBe(0);
  });

  it('finishActivityTask refused: the activity call fails with 598 naming the statement; the activity ran once', async () => {
    const tag = `activity-finish-${Date.now()}`;
    // the activity task's statements carry no job id: match on the activity's name
    corrupt(NAMED_QUERIES.finishActivityTask!, { name: 'lookup', status: 'done' }, 'result', '"\\u0000"');
    const outcome = await settle('callsRemote', tag, [tag, 'lookup']);
    expect(outcome.timedOut).toBeUndefined();
    expect(outcome.value).toMatch(/^caught 598: .*finishActivityTask.*22P05/);
    expect(executions.get(tag)).toBe(1);
  });

  it('retryActivityTask refused (a due time out of range): the activity call fails with 598 naming the statement; no further attempts', async () => {
    const tag = `activity-retry-${Date.now()}`;
    corrupt(NAMED_QUERIES.retryActivityTask!, {}, 'delaySeconds', 1e308); // only 'flaky' retries here
    const outcome = await settle('callsRemote', tag, [tag, 'flaky']);
    expect(outcome.timedOut).toBeUndefined();
    expect(outcome.value).toMatch(/^caught 598: .*retryActivityTask.*SQLSTATE 22/);
    expect(executions.get(tag)).toBe(1);
  });

  it('a ValidationError quoting a NUL (sleepFor("5\\u0000 seconds")) fails the job at once with a storable reason', async () => {
    const tag = `nul-details-${Date.now()}`;
    const before = refused;
    const outcome = await settle('badDuration', tag, [tag]);
    expect(refused).toBe(before); // nothing injected: the server refused the real statement, if anything
    expect(outcome.timedOut).toBeUndefined();
    expect(outcome.code).toBeGreaterThanOrEqual(597);
    expect(outcome.message).toMatch(/duration/);
    expect(runs.get(tag)).toBe(1);
    expect(await taskCount(tag)).toBe(0);
  });
});
