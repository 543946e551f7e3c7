/** §7 interceptor: workflow and activity interceptors, ctx keys, durable calls inside interceptors, activity workers. */
import { Client, MemFlow, Worker } from 'hotmesh';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { uniqueAppId } from './support/backend.js';
import { specConnection } from './support/spec/common.js';

const namespace = uniqueAppId('interceptor-test');
const activities = {
  async validateData(data: string) {
    return data.length > 0;
  },
  async processData(data: string) {
    return `Processed: ${data}`;
  },
  async recordResult(_r: string) {
    return true;
  },
  async alwaysFailValidation() {
    throw new Error('Validation always fails');
  },
  async auditLog(id: string, what: string) {
    return `${id}:${what}`;
  },
};
const policy = { maximumAttempts: 1, backoffCoefficient: 1, maximumInterval: '1 second', throwOnError: true };
const { validateData, processData, recordResult } = MemFlow.workflow.proxyActivities<typeof activities>({ activities, retryPolicy: policy });
const { alwaysFailValidation } = MemFlow.workflow.proxyActivities<typeof activities>({ activities, retryPolicy: policy });

export async function example(name: string) {
  const e = await MemFlow.workflow.entity();
  await e.set({ name, status: 'started', operations: [], results: [] });
  try {
    await validateData(name);
    await e.append('operations', 'validated');
    const processed = await processData(name);
    await e.merge({ status: 'processing', lastProcessed: processed });
    await e.append('operations', 'processed');
    await recordResult(processed);
    await e.append('operations', 'recorded');
    await e.merge({ status: 'completed', finalResult: processed });
    return await e.get();
  } catch (err: any) {
    if (MemFlow.workflow.didInterrupt(err)) throw err;
    await e.merge({ status: 'failed', error: err.message });
    throw err;
  }
}
export async function errorExample() {
  return alwaysFailValidation();
}
export async function durableExample(name: string) {
  const e = await MemFlow.workflow.entity();
  await e.set({ name, status: 'processing', operations: [], executionCount: 1 });
  const proxyResult = await processData(name);
  await e.append('operations', 'proxy-activity-called');
  await e.merge({ proxyResult, status: 'completed' });
  return e.get();
}

describe('spec §7 interceptor', () => {
  const connection = specConnection();
  let client: Client;
  let calls: any[] = [];
  const logging = {
    async execute(ctx: Map<string, any>, next: () => Promise<any>) {
      calls.push(['logging:before', ctx.get('workflowName'), ctx.get('workflowId')]);
      try {
        const r = await next();
        calls.push(['logging:after', ctx.get('workflowName'), ctx.get('workflowId')]);
        return r;
      } catch (err: any) {
        calls.push(['logging:error', ctx.get('workflowName'), ctx.get('workflowId'), err.message]);
        throw err;
      }
    },
  };
  const metrics = {
    async execute(ctx: Map<string, any>, next: () => Promise<any>) {
      calls.push(['metrics:start', ctx.get('workflowName'), ctx.get('workflowId')]);
      try {
        const r = await next();
        calls.push(['metrics:end', ctx.get('workflowName'), ctx.get('workflowId'), 1]);
        return r;
      } catch (err) {
        calls.push(['metrics:error', ctx.get('workflowName'), ctx.get('workflowId')]);
        throw err;
      }
    },
  };
  beforeAll(() => {
    client = new Client({ connection });
  });
  beforeEach(() => {
    calls = [];
    MemFlow.clearInterceptors();
    MemFlow.registerInterceptor(logging);
    MemFlow.registerInterceptor(metrics);
  });
  afterEach(() => MemFlow.clearInterceptors());
  afterAll(() => MemFlow.shutdown());

  const start = (taskQueue: string, workflowName: string, args: unknown[], extra: Record<string, unknown> = {}) =>
    client.workflow.start({ namespace, taskQueue, workflowName, args, workflowId: `interceptor-${MemFlow.guid()}`, ...extra });

  it('runs workflow interceptors in onion order; result equals the entity document', async () => {
    await Worker.create({ connection, namespace, taskQueue: 'interceptor-test', workflow: example });
    const h = await start('interceptor-test', 'example', ['TestWorkflow']);
    expect(await h.result()).toEqual({
      status: 'completed',
      name: 'TestWorkflow',
      operations: ['validated', 'processed', 'recorded'],
      results: [],
      finalResult: 'Processed: TestWorkflow',
      lastProcessed: 'Processed: TestWorkflow',
    });
    const mine = calls.filter((c) => c[2] === h.workflowId);
    expect(mine[0]).toEqual(['logging:before', 'example', h.workflowId]);
    expect(mine.slice(-2)).toEqual([
      ['metrics:end', 'example', h.workflowId, expect.any(Number)],
      ['logging:after', 'example', h.workflowId],
    ]);
  });

  it('an always-failing activity fails the workflow and the interceptors see the error', async () => {
    await Worker.create({ connection, namespace, taskQueue: 'interceptor-error', workflow: errorExample });
    const h = await start('interceptor-error', 'errorExample', [], { config: { maximumAttempts: 1, throwOnError: true } });
    const err: any = await h.result().catch((e) => e);
    expect(err.message).toContain('Validation always fails');
    expect(calls.filter((c) => c[2] === h.workflowId).some((c) => c[0].includes('error'))).toBe(true);
  }, 15_000);

  it('ctx carries workflowName, workflowId, workflowTopic, namespace, canRetry, replay', async () => {
    let seen: any = {};
    MemFlow.clearInterceptors();
    MemFlow.registerInterceptor({
      async execute(ctx, next) {
        seen = {
          workflowName: ctx.get('workflowName'),
          workflowId: ctx.get('workflowId'),
          workflowTopic: ctx.get('workflowTopic'),
          namespace: ctx.get('namespace'),
          canRetry: ctx.get('canRetry'),
          replay: ctx.get('replay'),
        };
        return next();
      },
    });
    await Worker.create({ connection, namespace, taskQueue: 'interceptor-context', workflow: example });
    const h = await start('interceptor-context', 'example', ['ContextTest']);
    await h.result();
    expect(seen).toEqual({
      workflowName: 'example',
      workflowId: h.workflowId,
      workflowTopic: 'interceptor-context-example',
      namespace,
      canRetry: expect.any(Boolean),
      replay: expect.any(Object),
    });
  });

  it('a workflow interceptor that calls sleepFor runs more than once; executionCount stays 1', async () => {
    let executions = 0;
    MemFlow.clearInterceptors();
    MemFlow.registerInterceptor({
      async execute(_ctx, next) {
        executions++;
        try {
          await MemFlow.workflow.sleepFor('50 milliseconds');
          const r = await next();
          await MemFlow.workflow.sleepFor('50 milliseconds');
          return r;
        } catch (err) {
          if (MemFlow.didInterrupt(err)) throw err;
          throw err;
        }
      },
    });
    await Worker.create({ connection, namespace, taskQueue: 'durable-interceptor-test', workflow: durableExample });
    const h = await start('durable-interceptor-test', 'durableExample', ['DurableTest']);
    const result: any = await h.result();
    expect(result).toMatchObject({ status: 'completed', name: 'DurableTest', proxyResult: 'Processed: DurableTest', executionCount: 1 });
    expect(result.operations).toContain('proxy-activity-called');
    expect(executions).toBeGreaterThan(1);
  });

  it('an activity interceptor that calls sleepFor runs more than once', async () => {
    let executions = 0;
    MemFlow.clearInterceptors();
    MemFlow.registerActivityInterceptor({
      async execute(_a, _ctx, next) {
        executions++;
        await MemFlow.workflow.sleepFor('50 milliseconds');
        return next();
      },
    });
    await Worker.create({ connection, namespace, taskQueue: 'act-intercept-durable', workflow: durableExample });
    const h = await start('act-intercept-durable', 'durableExample', ['DurableActivityTest']);
    const result: any = await h.result();
    expect(result.proxyResult).toBe('Processed: DurableActivityTest');
    expect(executions).toBeGreaterThan(1);
  });

  it('activity interceptors see each activity with the workflowId, in onion order', async () => {
    MemFlow.clearInterceptors();
    const order: string[] = [];
    const ids = new Set<string>();
    MemFlow.registerActivityInterceptor({
      async execute(a, ctx, next) {
        order.push(`outer:before:${a.activityName}`);
        ids.add(ctx.get('workflowId') as string);
        return next();
      },
    });
    MemFlow.registerActivityInterceptor({
      async execute(a, _ctx, next) {
        order.push(`inner:before:${a.activityName}`);
        return next();
      },
    });
    await Worker.create({ connection, namespace, taskQueue: 'act-intercept-onion-v2', workflow: example });
    const h = await start('act-intercept-onion-v2', 'example', ['OnionV2Test']);
    expect((await h.result()).status).toBe('completed');
    expect(order.findIndex((s) => s.startsWith('outer:before:'))).toBeLessThan(order.findIndex((s) => s.startsWith('inner:before:')));
    for (const n of ['validateData', 'processData', 'recordResult']) expect(order).toContain(`outer:before:${n}`);
    expect([...ids]).toEqual([h.workflowId]);
  });

  it('interceptors call proxies on a shared queue; registerActivityWorker remote (no activities field)', async () => {
    MemFlow.clearInterceptors();
    await MemFlow.registerActivityWorker({ connection, namespace, taskQueue: 'shared-interceptor-activities' }, activities, 'shared-interceptor-activities');
    MemFlow.registerInterceptor({
      async execute(ctx, next) {
        const { auditLog } = MemFlow.workflow.proxyActivities<typeof activities>({ activities, taskQueue: 'shared-interceptor-activities', retryPolicy: { maximumAttempts: 3, throwOnError: true } });
        await auditLog(ctx.get('workflowId'), 'started');
        const r = await next();
        await auditLog(ctx.get('workflowId'), 'completed');
        return r;
      },
    });
    const remoteWorkflow = async (name: string) => {
      const { processData: pd, validateData: vd } = MemFlow.workflow.proxyActivities<{ processData: (d: string) => Promise<string>; validateData: (d: string) => Promise<boolean> }>({
        taskQueue: 'remote-activities',
        retryPolicy: { maximumAttempts: 1, throwOnError: true },
      });
      await vd(name);
      return pd(name);
    };
    await MemFlow.registerActivityWorker({ connection, namespace, taskQueue: 'remote-activities' }, activities, 'remote-activities');
    await Worker.create({ connection, namespace, taskQueue: 'remote-queue-test', workflow: remoteWorkflow });
    const h = await start('remote-queue-test', 'remoteWorkflow', ['RemoteActivityTest']);
    expect(await h.result()).toBe('Processed: RemoteActivityTest');
  });
});
