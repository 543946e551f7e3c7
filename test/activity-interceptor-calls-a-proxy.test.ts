/**
 * An activity interceptor that calls a proxied activity itself (memflow-api.md §5.16: "It may call
 * durable functions, including other proxies on an explicit `taskQueue`"). Its own call used to go
 * through the same interceptor again, without end: a stack overflow, and the workflow never finished.
 */
import { MemFlow, type MemFlowInstance } from 'hotmesh';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConnection, uniqueAppId } from './support/backend.js';

const audited: string[] = [];
const intercepted: string[] = [];
const activities = {
  async greet(name: string) {
    return `Hello, ${name}!`;
  },
  async auditLog(workflowId: string, what: string) {
    audited.push(`${workflowId}:${what}`);
    return true;
  },
};
const { greet } = MemFlow.workflow.proxyActivities({ activities });

export async function auditedGreeting(name: string) {
  const first = await greet(name);
  return `${first} ${await greet('again')}`;
}

describe('an activity interceptor that calls a proxy', () => {
  let mf: MemFlowInstance;
  beforeAll(async () => {
    mf = await MemFlow.init({ appId: uniqueAppId('icpproxy'), engine: { connection: testConnection() } });
    await mf.worker.registerActivityWorker({ taskQueue: 'audit' }, { auditLog: activities.auditLog }, 'audit');
    mf.registerActivityInterceptor({
      async execute(activity, ctx, next) {
        intercepted.push(activity.activityName);
        const { auditLog } = MemFlow.workflow.proxyActivities({ activities: { auditLog: activities.auditLog }, taskQueue: 'audit' });
        await auditLog(ctx.get('workflowId'), `before:${activity.activityName}:${activity.args[0]}`);
        return next();
      },
    });
    await mf.worker.create({ taskQueue: 'greet', workflow: auditedGreeting });
  });
  afterAll(async () => {
    await mf.shutdown();
  });

  it('wraps the workflow’s own calls only: its own proxy call runs once, unintercepted', async () => {
    const handle = await mf.workflow.start({ taskQueue: 'greet', workflowName: 'auditedGreeting', args: ['World'], workflowId: `icp-${MemFlow.guid()}` });
    expect(await handle.result()).toBe('Hello, World! Hello, again!');
    const id = handle.workflowId;
    // each of the workflow's two calls was intercepted (on every run: replays included), the audit
    // calls never; each audit activity ran once
    expect(new Set(intercepted)).toEqual(new Set(['greet']));
    expect(audited.filter((a) => a.startsWith(id))).toEqual([`${id}:before:greet:World`, `${id}:before:greet:again`]);
  });
});
