/**
 * Each `MemFlow.init` is a runtime of its own: two instances in one process, with the same activity
 * and workflow names, different activities, interceptors and worker options, never see each other's,
 * and shutting one down leaves the other running. The static (process-wide) registrations reach both.
 */
import { MemFlow, type MemFlowInstance } from 'hotmesh';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConnection, uniqueAppId } from './support/backend.js';

/** Per instance: which interceptors ran, and how many activities ran at once at most. */
const seen = { A: [] as string[], B: [] as string[] };
const load = { A: { now: 0, max: 0 }, B: { now: 0, max: 0 } };

function instanceActivities(tag: 'A' | 'B') {
  return {
    async greet(name: string) {
      return `${tag}:hello ${name}`;
    },
    async busy() {
      load[tag].now++;
      load[tag].max = Math.max(load[tag].max, load[tag].now);
      await new Promise((r) => setTimeout(r, 150));
      load[tag].now--;
      return tag;
    },
  };
}

// one workflow function, served by both instances: which activities it runs depends on the runtime
const remote = MemFlow.workflow.proxyActivities<ReturnType<typeof instanceActivities>>({ taskQueue: 'iso-acts', retryPolicy: { maximumAttempts: 1 } });

export async function isoGreet(name: string) {
  return remote.greet(name);
}

export async function isoBusy() {
  return remote.busy();
}

describe('runtime isolation', () => {
  let a: MemFlowInstance;
  let b: MemFlowInstance;
  beforeAll(async () => {
    a = await MemFlow.init({ appId: uniqueAppId('iso-a'), engine: { connection: testConnection() }, worker: { concurrency: 1 } });
    b = await MemFlow.init({ appId: uniqueAppId('iso-b'), engine: { connection: testConnection() }, worker: { concurrency: 8 } });
    for (const [mf, tag] of [[a, 'A'], [b, 'B']] as const) {
      mf.registerInterceptor({
        async execute(ctx, next) {
          seen[tag].push(`${tag}:${ctx.get('workflowName')}`);
          return next();
        },
      });
      await mf.worker.registerActivityWorker({ taskQueue: 'iso-acts' }, instanceActivities(tag), 'iso-acts');
      await mf.worker.create({ taskQueue: 'iso', workflow: isoGreet });
      await mf.worker.create({ taskQueue: 'iso', workflow: isoBusy });
    }
  });
  afterAll(async () => {
    MemFlow.clearInterceptors();
    await a.shutdown();
    await b.shutdown();
  });

  it('runs each instance’s own activities and interceptors only', async () => {
    const ha = await a.workflow.start({ taskQueue: 'iso', workflowName: 'isoGreet', args: ['x'] });
    const hb = await b.workflow.start({ taskQueue: 'iso', workflowName: 'isoGreet', args: ['y'] });
    expect(await ha.result()).toBe('A:hello x');
    expect(await hb.result()).toBe('B:hello y');
    expect(seen.A.length).toBeGreaterThan(0);
    expect(seen.B.length).toBeGreaterThan(0);
    expect(seen.A.every((s) => s === 'A:isoGreet')).toBe(true);
    expect(seen.B.every((s) => s === 'B:isoGreet')).toBe(true);
  });

  it('applies each instance’s worker options to its own workers', async () => {
    load.A.max = 0;
    load.B.max = 0;
    const jobs = await Promise.all([
      ...Array.from({ length: 4 }, () => a.workflow.start({ taskQueue: 'iso', workflowName: 'isoBusy' })),
      ...Array.from({ length: 4 }, () => b.workflow.start({ taskQueue: 'iso', workflowName: 'isoBusy' })),
    ]);
    expect((await Promise.all(jobs.map((h) => h.result()))).sort()).toEqual(['A', 'A', 'A', 'A', 'B', 'B', 'B', 'B']);
    expect(load.A.max).toBe(1); // concurrency 1: one task at a time in instance A
    expect(load.B.max).toBeGreaterThan(1);
  });

  it('wraps both instances in a process-wide interceptor, outside their own', async () => {
    const order: string[] = [];
    MemFlow.registerInterceptor({
      async execute(ctx, next) {
        order.push(`process:${ctx.get('namespace')}`);
        return next();
      },
    });
    seen.A.length = 0;
    seen.B.length = 0;
    const ha = await a.workflow.start({ taskQueue: 'iso', workflowName: 'isoGreet', args: ['p'] });
    const hb = await b.workflow.start({ taskQueue: 'iso', workflowName: 'isoGreet', args: ['q'] });
    await Promise.all([ha.result(), hb.result()]);
    expect(order).toContain(`process:${a.appId}`);
    expect(order).toContain(`process:${b.appId}`);
    MemFlow.clearInterceptors();
  });

  it('keeps one instance running when the other shuts down', async () => {
    const c = await MemFlow.init({ appId: b.appId, engine: { connection: testConnection() } });
    await c.worker.create({ taskQueue: 'iso-c', workflow: isoGreet });
    await c.shutdown();
    const hb = await b.workflow.start({ taskQueue: 'iso', workflowName: 'isoGreet', args: ['after'] });
    expect(await hb.result()).toBe('B:hello after');
  });
});
