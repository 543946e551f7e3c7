/**
 * A run's closing statement that matches nothing (another worker took the task while the run was
 * closing, or its job ended) says so at warn, naming the statement: suspendThread, retryThread,
 * parkThread, and a remote activity's finishActivityTask and retryActivityTask. Before, only
 * finishThread did; the others dropped what they carried without a word (the lease keeper does not
 * warn of a run that is closing).
 *
 * The engine's driver is wrapped: right before the chosen statement, the job's held task is taken
 * (its fence bumped, leased to 'another-worker'), so the statement's fence matches nothing. Then the
 * task is given back, and the job must still end with its exact result: the warning is all that
 * happened, and nothing was lost.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../src/engine/engine.js';
import { MemFlow, type MemFlowInstance } from '../src/index.js';
import { NAMED_QUERIES } from '../src/sql/queries/index.js';
import { eventually, testConnection, uniqueAppId } from './support/backend.js';
import { interceptNamed } from './support/intercept-named.js';
import { untilWaiting } from './support/job-state.js';
import { captureLogs } from './support/log-capture.js';

const { logger, logged } = captureLogs();

const attempts = new Map<string, number>();
const remoteActivities = {
  async remoteEcho(tag: string, failFirst: boolean) {
    const n = (attempts.get(tag) ?? 0) + 1;
    attempts.set(tag, n);
    if (failFirst && n === 1) throw new Error(`first attempt of ${tag} fails`);
    return `${tag}:remote`;
  },
};
const remote = MemFlow.workflow.proxyActivities<typeof remoteActivities>({
  taskQueue: 'matched-nothing-remote',
  retryPolicy: { maximumAttempts: 3, backoffCoefficient: 1 },
});

export async function sleepsOnce(tag: string) {
  await MemFlow.workflow.sleepFor('1 second');
  return `${tag}:slept`;
}

const failedRuns = new Map<string, number>();
export async function failsOnce(tag: string) {
  const n = (failedRuns.get(tag) ?? 0) + 1;
  failedRuns.set(tag, n);
  if (n === 1) throw new Error(`first run of ${tag} fails`);
  return `${tag}:retried`;
}

let drift = false;
export async function drifts(tag: string) {
  if (drift) await MemFlow.workflow.sleepFor('1 second');
  else await MemFlow.workflow.waitFor('go');
  return `${tag}:drifted`;
}

export async function callsRemote(tag: string, failFirst: boolean) {
  return remote.remoteEcho(tag, failFirst);
}

describe("a closing statement that matches nothing", () => {
  let mf: MemFlowInstance;
  let engine: Engine;
  let restore = () => {};
  /** The statement (its text) to take the job's task before, once. */
  let target: { statement: string; sql: string; jobId: string } | undefined;
  let takenBefore: string | undefined;

  beforeAll(async () => {
    mf = await MemFlow.init({ appId: uniqueAppId('matched-nothing'), engine: { connection: testConnection() }, logger });
    engine = await mf.client.engine(mf.appId);
    restore = interceptNamed(engine, async (send, name, sql, params, options) => {
      if (target && sql === target.sql) {
        const { statement, jobId } = target;
        target = undefined;
        // the one task the statement fences: its taskId and claims parameters
        const fence = (field: string) => params[NAMED_QUERIES[statement]!.params.indexOf(field)];
        const res = await engine.driver.query(
          `UPDATE ${engine.sqlSchema}.tasks SET claims = claims + 1, lease_owner = 'another-worker'
            WHERE job_id = $1 AND id = $2::bigint AND claims = $3::int AND lease_owner IS NOT NULL`,
          [jobId, fence('taskId'), fence('claims')],
        );
        if (res.rowCount === 1) takenBefore = statement;
      }
      return send(name, sql, params, options);
    });
    for (const workflow of [sleepsOnce, failsOnce, drifts, callsRemote]) await mf.worker.create({ taskQueue: 'matched-nothing', workflow });
    await mf.worker.registerActivityWorker({}, remoteActivities, 'matched-nothing-remote');
  });
  afterAll(async () => {
    restore();
    await mf.shutdown();
  });

  /** Take the job's task right before `statement`; wait for the warning; give the task back. */
  async function takenAt(statement: string, jobId: string, start: () => Promise<unknown>): Promise<void> {
    takenBefore = undefined;
    target = { statement, sql: engine.bind(NAMED_QUERIES[statement]!).text, jobId };
    await start();
    const said = () => logged('lease lost').filter((e) => e.obj.jobId === jobId);
    try {
      await eventually(async () => said().length > 0, 15_000);
      expect(takenBefore, 'the task was taken right before the statement').toBe(statement);
      expect(said().map((e) => [e.level, e.obj.statement])).toEqual([['warn', statement]]);
    } finally {
      target = undefined;
      // nobody is 'another-worker': the task runs again here
      await engine.driver.query(
        `UPDATE ${engine.sqlSchema}.tasks SET lease_owner = NULL, run_at = now() WHERE job_id = $1 AND lease_owner = 'another-worker'`,
        [jobId],
      );
    }
  }

  it('suspendThread', async () => {
    const tag = `suspend-${Date.now()}`;
    await takenAt('suspendThread', tag, () => mf.workflow.start({ taskQueue: 'matched-nothing', workflowName: 'sleepsOnce', workflowId: tag, args: [tag] }));
    expect(await (await mf.workflow.getHandle('matched-nothing', 'sleepsOnce', tag)).result()).toBe(`${tag}:slept`);
  }, 30_000);

  it('retryThread', async () => {
    const tag = `retry-${Date.now()}`;
    const config = { maximumAttempts: 3, backoffCoefficient: 1 };
    await takenAt('retryThread', tag, () => mf.workflow.start({ taskQueue: 'matched-nothing', workflowName: 'failsOnce', workflowId: tag, args: [tag], config }));
    expect(await (await mf.workflow.getHandle('matched-nothing', 'failsOnce', tag)).result()).toBe(`${tag}:retried`);
  }, 30_000);

  it('parkThread', async () => {
    const tag = `park-${Date.now()}`;
    drift = false;
    const handle = await mf.workflow.start({ taskQueue: 'matched-nothing', workflowName: 'drifts', workflowId: tag, args: [tag] });
    await untilWaiting(engine, tag, 'go');
    drift = true; // the code changes under the suspended job
    try {
      await takenAt('parkThread', tag, () => handle.signal('go', null));
      // given back, the replay meets the same drift and parks for real
      await expect(handle.result()).rejects.toMatchObject({ code: 593 });
    } finally {
      drift = false;
    }
  }, 30_000);

  it("a remote activity's finishActivityTask", async () => {
    const tag = `act-finish-${Date.now()}`;
    await takenAt('finishActivityTask', tag, () => mf.workflow.start({ taskQueue: 'matched-nothing', workflowName: 'callsRemote', workflowId: tag, args: [tag, false] }));
    expect(await (await mf.workflow.getHandle('matched-nothing', 'callsRemote', tag)).result()).toBe(`${tag}:remote`);
    expect(attempts.get(tag)).toBe(2); // the result the taken task dropped is produced again
  }, 30_000);

  it("a remote activity's retryActivityTask", async () => {
    const tag = `act-retry-${Date.now()}`;
    await takenAt('retryActivityTask', tag, () => mf.workflow.start({ taskQueue: 'matched-nothing', workflowName: 'callsRemote', workflowId: tag, args: [tag, true] }));
    expect(await (await mf.workflow.getHandle('matched-nothing', 'callsRemote', tag)).result()).toBe(`${tag}:remote`);
  }, 30_000);
});
