/** Workflow and activity interceptors: onion order, durable calls inside them, replays. */
import { MemFlow, type MemFlowInstance } from 'hotmesh';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConnection, uniqueAppId } from './support/backend.js';

const log: string[] = [];
const acts = MemFlow.workflow.proxyActivities({
  activities: {
    async validateData(x: string) {
      return `valid ${x}`;
    },
  },
});

export async function intercepted(x: string) {
  const ctx = await MemFlow.workflow.context();
  await ctx.increment('executionCount');
  return acts.validateData(x);
}

describe('interceptors', () => {
  let mf: MemFlowInstance;
  beforeAll(async () => {
    mf = await MemFlow.init({ appId: uniqueAppId('intercept'), engine: { connection: testConnection() } });
    MemFlow.registerInterceptor({
      async execute(ctx, next) {
        log.push(`outer:before:${ctx.get('workflowName')}`);
        // a durable call inside an interceptor. Long enough that the run suspends on it: a run that
        // takes longer than the sleep to reach its batch's end (10 ms did, once, on a loaded machine)
        // delivers the timer inline, without the replay this test looks for
        await MemFlow.workflow.sleepFor('300 milliseconds');
        const out = await next();
        log.push('outer:after');
        return out;
      },
    });
    MemFlow.registerInterceptor({
      async execute(_ctx, next) {
        log.push('inner:before');
        return next();
      },
    });
    MemFlow.registerActivityInterceptor({
      async execute(activity, ctx, next) {
        log.push(`activity:${activity.activityName}:${ctx.get('workflowId') ? 'with-id' : 'no-id'}`);
        return next();
      },
    });
    await mf.worker.create({ taskQueue: 'intercept', workflow: intercepted });
  });
  afterAll(async () => {
    MemFlow.clearInterceptors();
    await mf.shutdown();
  });

  it('wraps every run in onion order, replays included, without repeating durable effects', async () => {
    const handle = await mf.workflow.start({ taskQueue: 'intercept', workflowName: 'intercepted', args: ['a'] });
    expect(await handle.result()).toBe('valid a');
    expect(log[0]).toBe('outer:before:intercepted');
    // the outer interceptor's sleep suspends the first run before the inner one is reached
    expect(log.indexOf('inner:before')).toBeGreaterThan(log.lastIndexOf('outer:before:intercepted') - 1);
    expect(log[log.indexOf('inner:before') - 1]).toBe('outer:before:intercepted');
    expect(log.filter((l) => l === 'outer:before:intercepted').length).toBeGreaterThan(1); // the sleep made it replay
    expect(log).toContain('activity:validateData:with-id');
    expect(log[log.length - 1]).toBe('outer:after');
    expect(await handle.context().get('executionCount')).toBe(1);
  });
});
