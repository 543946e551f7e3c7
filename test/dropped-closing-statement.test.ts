/**
 * The connection drops under the statement that ends a run (finishThread, suspendThread,
 * finishActivityTask), deterministically: the engine's driver is wrapped so that one chosen statement
 * fails once with the error PostgreSQL sends when a backend is terminated, either before it reaches
 * the server or after it committed (its reply lost). test/fault/dropped-connections.test.ts does
 * this with real terminated backends, where it happens by chance.
 *
 * The default lease (30 s) is kept on purpose: a task left leased after such an error would stall its
 * workflow for the whole lease, and these tests give it 8 s.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemFlow, type MemFlowInstance } from '../src/index.js';
import type { Engine } from '../src/engine/engine.js';
import { NAMED_QUERIES } from '../src/sql/queries/index.js';
import { testConnection, uniqueAppId } from './support/backend.js';
import { interceptNamed } from './support/intercept-named.js';

const PROMPT_MS = 8_000;

const runs = new Map<string, number>();
const executions = new Map<string, string[]>();

const inline = MemFlow.workflow.proxyActivities({
  activities: {
    async closingStep(tag: string) {
      const list = executions.get(tag) ?? [];
      list.push(MemFlow.activity.getContext().idempotencyKey);
      executions.set(tag, list);
      return `${tag}:done`;
    },
  },
});
const remoteActivities = {
  async remoteClosingStep(tag: string) {
    const list = executions.get(tag) ?? [];
    list.push(MemFlow.activity.getContext().idempotencyKey);
    executions.set(tag, list);
    return `${tag}:remote`;
  },
};
const remote = MemFlow.workflow.proxyActivities<typeof remoteActivities>({ taskQueue: 'closing-remote' });

async function closingWork(tag: string, sleepMs: number) {
  runs.set(tag, (runs.get(tag) ?? 0) + 1); // not durable: counts every run (replays included)
  const step = await inline.closingStep(tag);
  if (sleepMs > 0) await MemFlow.workflow.sleepFor(`${sleepMs} milliseconds`);
  return step;
}

async function closingRemote(tag: string) {
  return remote.remoteClosingStep(tag);
}

const terminated = () => Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01', severity: 'FATAL' });

describe('a connection dropped under the statement that ends a run', () => {
  let mf: MemFlowInstance;
  let engine: Engine;
  let restore = () => {};
  /** Statement text -> the one failure to inject (matched on a parameter), then gone. */
  let inject: { sql: string; param: number; value: unknown; when: 'before' | 'after' } | undefined;
  let injected = 0;

  beforeAll(async () => {
    mf = await MemFlow.init({ appId: uniqueAppId('closing'), engine: { connection: testConnection() } });
    engine = await mf.client.engine(mf.appId);
    restore = interceptNamed(engine, async (send, name, sql, params) => {
      const hit = inject && sql === inject.sql && params[inject.param] === inject.value ? inject : undefined;
      if (!hit) return send(name, sql, params);
      inject = undefined;
      injected++;
      if (hit.when === 'before') throw terminated();
      await send(name, sql, params);
      throw terminated();
    });
    await mf.worker.create({ taskQueue: 'closing', workflow: closingWork }); // default lease: 30 s
    await mf.worker.create({ taskQueue: 'closing', workflow: closingRemote });
    await mf.worker.registerActivityWorker({}, remoteActivities, 'closing-remote');
  });
  afterAll(async () => {
    restore();
    await mf.shutdown();
  });

  async function promptResult(workflowName: string, tag: string, args: unknown[]): Promise<{ value: unknown; ms: number }> {
    const started = Date.now();
    const handle = await mf.workflow.start({ taskQueue: 'closing', workflowName, workflowId: tag, args });
    let timer: NodeJS.Timeout | undefined;
    const value = await Promise.race([
      handle.result(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${tag}: no result in ${PROMPT_MS} ms (task left leased?)`)), PROMPT_MS);
      }),
    ]);
    clearTimeout(timer);
    return { value, ms: Date.now() - started };
  }

  it('finishThread lost before it ran: the task is given back at once, the workflow completes promptly', async () => {
    const tag = `finish-before-${Date.now()}`;
    inject = { sql: engine.bind(NAMED_QUERIES.finishThread!).text, param: 2, value: tag, when: 'before' };
    const before = injected;
    const { value } = await promptResult('closingWork', tag, [tag, 0]);
    expect(injected).toBe(before + 1);
    expect(value).toBe(`${tag}:done`);
    expect(runs.get(tag)).toBe(2); // the run whose finish was lost, then one replay that finishes
    // the last step's result is written with the finish (migration 0046): it was lost with it, so the
    // step ran again, once, as the same durable call (same idempotency key)
    expect(executions.get(tag)).toHaveLength(2);
    expect(new Set(executions.get(tag)).size).toBe(1);
  });

  it('finishThread committed, its reply lost: result() in the starting process hears at once, not at its next poll', async () => {
    // the job was started here, so the finish sent no NOTIFY (migration 0047); found by a review
    const tag = `finish-after-${Date.now()}`;
    inject = { sql: engine.bind(NAMED_QUERIES.finishThread!).text, param: 2, value: tag, when: 'after' };
    const before = injected;
    const { value, ms } = await promptResult('closingWork', tag, [tag, 0]);
    expect(injected).toBe(before + 1);
    expect(value).toBe(`${tag}:done`);
    expect(ms).toBeLessThan(1800); // result()'s polling fallback is 2 s (about 50 ms when it hears at once)
  });

  it('suspendThread lost before it ran: the sleep still ends on time, not after the lease', async () => {
    const tag = `suspend-before-${Date.now()}`;
    inject = { sql: engine.bind(NAMED_QUERIES.suspendThread!).text, param: 2, value: tag, when: 'before' };
    const before = injected;
    const { value, ms } = await promptResult('closingWork', tag, [tag, 500]);
    expect(injected).toBe(before + 1);
    expect(value).toBe(`${tag}:done`);
    expect(ms).toBeGreaterThanOrEqual(500);
    expect(executions.get(tag)).toHaveLength(1);
  });

  it('suspendThread committed, its reply lost: the release leaves the suspended task alone (no early run)', async () => {
    const tag = `suspend-after-${Date.now()}`;
    inject = { sql: engine.bind(NAMED_QUERIES.suspendThread!).text, param: 2, value: tag, when: 'after' };
    const before = injected;
    const { value, ms } = await promptResult('closingWork', tag, [tag, 3000]);
    expect(injected).toBe(before + 1);
    expect(value).toBe(`${tag}:done`);
    expect(ms).toBeGreaterThanOrEqual(3000);
    expect(runs.get(tag)).toBe(2); // the first run, then the one after the sleep: nothing in between
    expect(executions.get(tag)).toHaveLength(1);
  });

  it('finishActivityTask lost before it ran: the activity task is given back and runs again under the same key', async () => {
    const tag = `activity-before-${Date.now()}`;
    inject = { sql: engine.bind(NAMED_QUERIES.finishActivityTask!).text, param: 2, value: 'remoteClosingStep', when: 'before' };
    const before = injected;
    const { value } = await promptResult('closingRemote', tag, [tag]);
    expect(injected).toBe(before + 1);
    expect(value).toBe(`${tag}:remote`);
    const keys = executions.get(tag)!;
    expect(keys).toHaveLength(2); // its result never committed: it may run again, as the same call
    expect(new Set(keys).size).toBe(1);
  });
});
