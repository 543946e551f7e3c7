/**
 * The trace of what a client does to a running job from outside: a hook started with `handle.hook`
 * or `client.workflow.hook` runs in the caller's trace (its runs are children of the caller's span,
 * whatever trace the job was started in, on every run of the hook), and a signal sent with
 * `handle.signal` or `client.workflow.signal` is a span `signal <id>` under the caller's span, with
 * the job, the signal id and what became of it. A hook a run starts continues that run's trace.
 */
import { context, type Span, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { MemFlow, type MemFlowInstance } from 'hotmesh';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, testConnection, uniqueAppId } from './support/backend.js';
import { untilWaiting } from './support/job-state.js';

const spans = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
const tracer = () => provider.getTracer('test');

/** Waits for 'done', then returns what the hooks left in its context. */
export async function tracedTarget() {
  await MemFlow.workflow.waitFor('done');
  return (await MemFlow.workflow.context()).get('hooked');
}

/** A hook with two runs: a durable sleep between its two steps. */
export async function tracedHook(tag: string) {
  await MemFlow.workflow.sleepFor('200 milliseconds');
  const ctx = await MemFlow.workflow.context();
  await ctx.set({ hooked: tag });
  return tag;
}

/** A workflow that starts a hook on itself (a hook a run starts). */
export async function tracedStarter() {
  await MemFlow.workflow.hook({ taskQueue: 'trace-out', workflowName: 'tracedHook', args: ['inner'] });
  await MemFlow.workflow.sleepFor('500 milliseconds');
  return 'started';
}

/** Run `fn` with `span` active, as a request handler would. */
function inSpan<T>(span: Span, fn: () => Promise<T>): Promise<T> {
  return context.with(trace.setSpan(context.active(), span), fn);
}

const finished = () => spans.getFinishedSpans();
const ofJob = (jobId: string, name: string) => finished().filter((s) => s.name === name && s.attributes['hotmesh.job_id'] === jobId);
const parentOf = (s: ReadableSpan) => s.parentSpanContext?.spanId;

describe('trace context of outside signals and hooks', () => {
  let mf: MemFlowInstance;
  let appId: string;
  beforeAll(async () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    trace.setGlobalTracerProvider(provider);
    appId = uniqueAppId('trace-out');
    mf = await MemFlow.init({ appId, engine: { connection: testConnection() }, logLevel: 'silent' });
    for (const workflow of [tracedTarget, tracedHook, tracedStarter]) await mf.worker.create({ taskQueue: 'trace-out', workflow });
  });
  afterAll(async () => {
    await mf.shutdown();
    trace.disable();
    context.disable();
  });

  it('runs a hook started from outside in the caller’s trace, not the job’s, on every run of the hook', async () => {
    const starter = tracer().startSpan('POST /start');
    const handle = await inSpan(starter, () => mf.workflow.start({ taskQueue: 'trace-out', workflowName: 'tracedTarget' }));
    starter.end();
    await untilWaiting(await mf.client.engine(appId), handle.workflowId, 'done');

    const viaHandle = tracer().startSpan('POST /hook (handle)');
    const thread1 = await inSpan(viaHandle, () => handle.hook({ taskQueue: 'trace-out', workflowName: 'tracedHook', args: ['one'] }));
    viaHandle.end();
    const viaClient = tracer().startSpan('POST /hook (client)');
    const thread2 = await inSpan(viaClient, () =>
      mf.workflow.hook({ workflowId: handle.workflowId, taskQueue: 'trace-out', workflowName: 'tracedHook', args: ['two'] }),
    );
    viaClient.end();
    expect(thread1).not.toBe(thread2);

    const hookRuns = () => ofJob(handle.workflowId, 'workflow tracedHook');
    await eventually(async () => hookRuns().length >= 4 && finished().filter((s) => s.name === 'context set').length >= 2, 20_000);
    for (const [caller, thread] of [
      [viaHandle, thread1],
      [viaClient, thread2],
    ] as const) {
      const runs = hookRuns().filter((s) => s.attributes['hotmesh.thread'] === thread);
      expect(runs).toHaveLength(2); // before the sleep, and after it
      for (const run of runs) {
        expect(run.spanContext().traceId).toBe(caller.spanContext().traceId);
        expect(parentOf(run)).toBe(caller.spanContext().spanId);
      }
    }
    // the main thread's runs stay in the start's trace
    const mainRuns = ofJob(handle.workflowId, 'workflow tracedTarget');
    expect(mainRuns.length).toBeGreaterThanOrEqual(1);
    for (const run of mainRuns) expect(parentOf(run)).toBe(starter.spanContext().spanId);

    await handle.signal('done', null);
    expect(['one', 'two']).toContain(await handle.result());
  }, 30_000);

  it('makes a signal sent from outside a span under the caller’s span, with its job and outcome', async () => {
    const handle = await mf.workflow.start({ taskQueue: 'trace-out', workflowName: 'tracedTarget' });
    await untilWaiting(await mf.client.engine(appId), handle.workflowId, 'done');
    const caller = tracer().startSpan('POST /approve');
    await inSpan(caller, () => handle.signal('done', null));
    caller.end();
    const sent = ofJob(handle.workflowId, 'signal done');
    expect(sent).toHaveLength(1);
    expect(sent[0]!.spanContext().traceId).toBe(caller.spanContext().traceId);
    expect(parentOf(sent[0]!)).toBe(caller.spanContext().spanId);
    expect(sent[0]!.attributes).toMatchObject({ 'hotmesh.app_id': appId, 'hotmesh.signal_id': 'done', 'hotmesh.signal_outcome': 'delivered' });
    await handle.result();

    // app-wide, nobody waiting: kept
    const broadcaster = tracer().startSpan('cron');
    await inSpan(broadcaster, () => mf.workflow.signal('nobody-waits', { n: 1 }));
    broadcaster.end();
    const kept = finished().filter((s) => s.name === 'signal nobody-waits');
    expect(kept).toHaveLength(1);
    expect(parentOf(kept[0]!)).toBe(broadcaster.spanContext().spanId);
    expect(kept[0]!.attributes).toMatchObject({ 'hotmesh.app_id': appId, 'hotmesh.signal_outcome': 'kept' });

    // refused: the span ends with the error
    const finishedJob = tracer().startSpan('late');
    await expect(inSpan(finishedJob, () => handle.signal('done', null))).rejects.toThrow();
    finishedJob.end();
    const refused = ofJob(handle.workflowId, 'signal done').filter((s) => parentOf(s) === finishedJob.spanContext().spanId);
    expect(refused).toHaveLength(1);
    expect(refused[0]!.status.code).toBe(2); // SpanStatusCode.ERROR
    expect(refused[0]!.attributes['hotmesh.signal_outcome']).toBe('finished');
  }, 30_000);

  it('runs a hook that a run starts in that run’s trace, as a child of the run', async () => {
    const root = tracer().startSpan('POST /starter');
    const handle = await inSpan(root, () => mf.workflow.start({ taskQueue: 'trace-out', workflowName: 'tracedStarter' }));
    root.end();
    expect(await handle.result()).toBe('started');
    await eventually(async () => ofJob(handle.workflowId, 'workflow tracedHook').length >= 2, 20_000);
    const starterRuns = ofJob(handle.workflowId, 'workflow tracedStarter');
    const hookCall = ofJob(handle.workflowId, 'hook tracedHook');
    expect(hookCall).toHaveLength(1);
    const startingRun = parentOf(hookCall[0]!);
    expect(starterRuns.map((r) => r.spanContext().spanId)).toContain(startingRun);
    for (const run of ofJob(handle.workflowId, 'workflow tracedHook')) {
      expect(run.spanContext().traceId).toBe(root.spanContext().traceId);
      expect(parentOf(run)).toBe(startingRun);
    }
  }, 30_000);
});
