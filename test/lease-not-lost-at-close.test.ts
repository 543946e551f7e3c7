/**
 * A heartbeat that no longer finds a task whose run is closing it is no news. A review of the group
 * commit tests saw 'lease lost: another worker holds the task' warnings for jobs that had completed
 * normally: the finish had committed (deleting the task) and its answer was still on its way when a
 * heartbeat, sent with the task still held in this process, came back without it.
 *
 * Here each finish's answer is held back after it committed, long enough for heartbeats (every
 * lease/3 = 0.5 s) to come in between. Nothing may warn of a lost lease, and every job completes once.
 * And the other side: when another worker really took the task while the run was closing, the run
 * still says so at warn (its finish matched nothing).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../src/engine/engine.js';
import { MemFlow, type MemFlowInstance } from '../src/index.js';
import { captureLogs } from './support/log-capture.js';
import { eventually, testConnection, uniqueAppId } from './support/backend.js';
import { interceptNamed } from './support/intercept-named.js';

const { logger, logged } = captureLogs();
const runs = new Map<string, number>();

const acts = MemFlow.workflow.proxyActivities({
  activities: {
    async quick(tag: string) {
      return `${tag}:done`;
    },
  },
});

export async function closes(tag: string): Promise<string> {
  runs.set(tag, (runs.get(tag) ?? 0) + 1);
  return acts.quick(tag);
}

/** The statements that end a run by finishing its thread, alone or in a group. */
const FINISH = /\.finish_threads?_journaled\(/;
const ANSWER_HELD_MS = 1_200;

describe('a heartbeat that misses a task its run is closing', () => {
  let mf: MemFlowInstance;
  let engine: Engine;
  /** Finish answers held back after they committed; a function run instead, when set. */
  let afterFinish: (() => Promise<void>) | undefined;
  let held = 0;

  beforeAll(async () => {
    mf = await MemFlow.init({ appId: uniqueAppId('close-lease'), engine: { connection: testConnection() }, logger, worker: { leaseSeconds: 1.5 } });
    engine = await mf.client.engine(mf.appId);
    interceptNamed(engine, async (send, name, sql, params, options) => {
      const res = await send(name, sql, params, options);
      if (afterFinish && FINISH.test(sql)) {
        held++;
        await afterFinish();
      }
      return res;
    });
    await mf.worker.create({ taskQueue: 'close', workflow: closes });
  });
  afterAll(() => mf.shutdown());

  it('does not warn of a lost lease when the run\'s own finish ended it', async () => {
    afterFinish = () => new Promise((r) => setTimeout(r, ANSWER_HELD_MS));
    try {
      const tags = [1, 2, 3].map((i) => `close-${Date.now()}-${i}`);
      for (const tag of tags) {
        const handle = await mf.workflow.start({ taskQueue: 'close', workflowName: 'closes', workflowId: tag, args: [tag] });
        expect(await handle.result()).toBe(`${tag}:done`);
        expect(runs.get(tag)).toBe(1);
      }
      expect(held).toBeGreaterThanOrEqual(3);
      expect(logged('lease lost').map((e) => e.obj.jobId)).toEqual([]);
    } finally {
      afterFinish = undefined;
    }
  });

  it('still warns when another worker took the task while the run was closing', async () => {
    const tag = `taken-${Date.now()}`;
    // the finish runs after the task was taken: its fence matches nothing
    let taken = false;
    const restore = interceptNamed(engine, async (send, name, sql, params, options) => {
      if (!taken && FINISH.test(sql) && JSON.stringify(params).includes(tag)) {
        taken = true;
        await engine.driver.query(`UPDATE ${engine.sqlSchema}.tasks SET claims = claims + 1, lease_owner = 'another-worker' WHERE job_id = $1`, [tag]);
      }
      return send(name, sql, params, options);
    });
    try {
      await mf.workflow.start({ taskQueue: 'close', workflowName: 'closes', workflowId: tag, args: [tag] });
      // with the step's result in the finish, it is the result that was refused; without, the finish
      const said = () => [...logged('lease lost'), ...logged("the run's last results were refused")].filter((e) => e.obj.jobId === tag);
      await eventually(async () => said().length > 0, 10_000);
      expect(said()[0]!.level).toBe('warn');
      expect(taken).toBe(true);
    } finally {
      restore();
      // let the task run for real: nobody is 'another-worker'
      await engine.driver.query(`UPDATE ${engine.sqlSchema}.tasks SET lease_owner = NULL, run_at = now() WHERE job_id = $1`, [tag]);
    }
  });
});
