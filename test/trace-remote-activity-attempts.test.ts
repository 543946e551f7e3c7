/**
 * A remote activity (`proxyActivities({ taskQueue })`, served by `registerActivityWorker`) makes a span
 * per attempt, as an inline one does: `activity <name>` with `hotmesh.attempt`, ERROR when the attempt
 * failed, in the trace of the job that called it. A black-box pass: a remote activity that failed once
 * and then succeeded made one span (the workflow's registration of the call, status OK), so the
 * failed attempt was nowhere in the trace.
 */
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { SpanStatusCode } from '@opentelemetry/api';
import { MemFlow, type MemFlowInstance } from 'hotmesh';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, testConnection, uniqueAppId } from './support/backend.js';

const spans = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });

let calls = 0;

export async function chargesRemotely(): Promise<string> {
  const { remoteCharge } = MemFlow.workflow.proxyActivities<{ remoteCharge(): Promise<string> }>({
    taskQueue: 'trace-remote-acts',
    retryPolicy: { maximumAttempts: 3, backoffCoefficient: 1, maximumInterval: '1s' },
  });
  return remoteCharge();
}

describe('spans of remote activity attempts', () => {
  let mf: MemFlowInstance;
  beforeAll(async () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    trace.setGlobalTracerProvider(provider);
    mf = await MemFlow.init({ appId: uniqueAppId('trace-remote'), engine: { connection: testConnection() }, logLevel: 'silent' });
    await mf.worker.create({ taskQueue: 'trace-remote', workflow: chargesRemotely });
    await mf.worker.registerActivityWorker({ taskQueue: 'trace-remote-acts' }, {
      async remoteCharge() {
        if (++calls === 1) throw new Error('gateway busy');
        return 'charged';
      },
    }, 'trace-remote-acts');
  });
  afterAll(async () => {
    await mf.shutdown();
    trace.disable();
    context.disable();
  });

  it('one span per attempt, the failed one an error, in the job’s trace', async () => {
    const caller = provider.getTracer('test').startSpan('POST /charge');
    const handle = await context.with(trace.setSpan(context.active(), caller), () =>
      mf.workflow.start({ taskQueue: 'trace-remote', workflowName: 'chargesRemotely' }),
    );
    caller.end();
    expect(await handle.result()).toBe('charged');
    const attempts = await eventually(async () => {
      const found = spans
        .getFinishedSpans()
        .filter((s) => s.name === 'activity remoteCharge' && s.attributes['hotmesh.job_id'] === handle.workflowId && s.attributes['hotmesh.topic'] !== undefined);
      return found.length >= 2 ? found : undefined;
    });
    expect(attempts.map((s) => [s.attributes['hotmesh.attempt'], s.status.code])).toEqual([
      [1, SpanStatusCode.ERROR],
      [2, SpanStatusCode.UNSET],
    ]);
    expect(attempts[0]!.status.message).toBe('gateway busy');
    for (const s of attempts) expect(s.spanContext().traceId).toBe(caller.spanContext().traceId);
  });
});
