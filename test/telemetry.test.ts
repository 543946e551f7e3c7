/**
 * OpenTelemetry through the API: with an SDK registered (sdk-trace-base's in-memory exporter,
 * sdk-metrics' in-memory reader), the README hooks example makes a span tree under the caller's span
 * (a span per workflow run, one per durable call the runs executed), a replay makes no span for a
 * call already journaled, and the workflow counters move.
 */
import { context, metrics, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { MemFlow, type MemFlowInstance } from 'hotmesh';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConnection, uniqueAppId } from './support/backend.js';

const spans = new InMemorySpanExporter();
const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 60_000 });
const meterProvider = new MeterProvider({ readers: [reader] });

let flakyAttempts = 0;
const flaky = MemFlow.workflow.proxyActivities({
  activities: {
    async flakyStep() {
      flakyAttempts++;
      if (flakyAttempts === 1) throw new Error('first attempt fails');
      return 'second attempt';
    },
  },
  retryPolicy: { maximumAttempts: 2, backoffCoefficient: 1, maximumInterval: '1s' },
});

export async function flakyFlow() {
  return flaky.flakyStep();
}

let steps = 0;
const acts = MemFlow.workflow.proxyActivities({
  activities: {
    async tracedStep(x: string) {
      steps++;
      return `step:${x}`;
    },
  },
});

/** An activity, then a sleep (the run suspends; the next run replays the activity), then another. */
export async function tracedFlow(x: string) {
  const a = await acts.tracedStep(x);
  await MemFlow.workflow.sleepFor('200 milliseconds');
  const ctx = await MemFlow.workflow.context();
  await ctx.set({ a });
  return acts.tracedStep(`${x}-2`);
}

/** A parent that starts a child workflow (the child counts as started, as it counts as completed). */
export async function parentFlow() {
  return MemFlow.workflow.execChild<string>({ taskQueue: 'otel', workflowName: 'childFlow', args: [], workflowId: `${MemFlow.workflow.getContext().workflowId}-kid` });
}

export async function childFlow() {
  return 'kid';
}

describe('OpenTelemetry spans and metrics', () => {
  let mf: MemFlowInstance;
  beforeAll(async () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable()); // what the Node SDK registers
    trace.setGlobalTracerProvider(tracerProvider);
    metrics.setGlobalMeterProvider(meterProvider);
    mf = await MemFlow.init({ appId: uniqueAppId('otel'), engine: { connection: testConnection() }, logLevel: 'silent' });
    await mf.worker.create({ taskQueue: 'otel', workflow: tracedFlow });
    await mf.worker.create({ taskQueue: 'otel', workflow: parentFlow });
    await mf.worker.create({ taskQueue: 'otel', workflow: childFlow });
    await mf.worker.create({ taskQueue: 'otel', workflow: flakyFlow });
  });
  afterAll(async () => {
    await mf.shutdown();
    trace.disable();
    metrics.disable();
    context.disable();
  });

  it('continues the caller’s trace, one span per run and per executed call, none for replays', async () => {
    const caller = tracerProvider.getTracer('test').startSpan('caller');
    const handle = await context.with(trace.setSpan(context.active(), caller), () =>
      mf.workflow.start({ taskQueue: 'otel', workflowName: 'tracedFlow', args: ['x'] }),
    );
    caller.end();
    expect(await handle.result()).toBe('step:x-2');
    expect(steps).toBe(2);

    const mine = spans.getFinishedSpans().filter((s) => s.attributes['hotmesh.job_id'] === handle.workflowId);
    const names = mine.map((s) => s.name);
    const runs = mine.filter((s) => s.name === 'workflow tracedFlow');
    expect(runs.length).toBeGreaterThanOrEqual(2); // the sleep suspended the first run
    // each call executed once: the replay of the first activity made no second span
    expect(names.filter((n) => n === 'activity tracedStep')).toHaveLength(2);
    expect(names.filter((n) => n === 'timer 200 milliseconds')).toHaveLength(1);
    expect(names.filter((n) => n === 'context set')).toHaveLength(1);
    // every run is a child of the caller's span, in its trace; every call a child of a run
    const callerContext = caller.spanContext();
    for (const run of runs) {
      expect(run.spanContext().traceId).toBe(callerContext.traceId);
      expect(run.parentSpanContext?.spanId).toBe(callerContext.spanId);
    }
    const runIds = new Set(runs.map((r) => r.spanContext().spanId));
    for (const call of mine.filter((s) => s.name !== 'workflow tracedFlow')) {
      expect(runIds.has(call.parentSpanContext?.spanId ?? '')).toBe(true);
      expect(call.attributes).toMatchObject({ 'hotmesh.workflow_name': 'tracedFlow', 'hotmesh.seq': expect.any(Number) });
    }
  });

  it('marks the span of a failed attempt as an error, also when another attempt follows', async () => {
    const caller = tracerProvider.getTracer('test').startSpan('caller');
    const handle = await context.with(trace.setSpan(context.active(), caller), () => mf.workflow.start({ taskQueue: 'otel', workflowName: 'flakyFlow' }));
    caller.end();
    expect(await handle.result()).toBe('second attempt');
    const attempts = spans
      .getFinishedSpans()
      .filter((s) => s.attributes['hotmesh.job_id'] === handle.workflowId && s.name === 'activity flakyStep')
      .sort((a, b) => Number(a.attributes['hotmesh.attempt']) - Number(b.attributes['hotmesh.attempt']));
    expect(attempts.map((s) => [s.attributes['hotmesh.attempt'], s.status.code, s.status.message])).toEqual([
      [1, 2, 'first attempt fails'], // SpanStatusCode.ERROR
      [2, 0, undefined],
    ]);
  });

  it('counts workflows started and completed, and records step durations', async () => {
    await reader.forceFlush();
    const all = metricExporter.getMetrics().flatMap((rm) => rm.scopeMetrics.flatMap((sm) => sm.metrics));
    const sum = (name: string) =>
      all
        .filter((m) => m.descriptor.name === name)
        .flatMap((m) => m.dataPoints as Array<{ value: unknown }>)
        .reduce((n, p) => n + Number(p.value), 0);
    expect(sum('hotmesh.workflows.started')).toBeGreaterThanOrEqual(1);
    expect(sum('hotmesh.workflows.completed')).toBeGreaterThanOrEqual(1);
    expect(all.some((m) => m.descriptor.name === 'hotmesh.step.duration')).toBe(true);
  });

  // a black-box pass measured started dad=1 against completed kid=1 dad=2: children and forks were
  // counted when they completed, never when they started
  it('counts a child workflow and a fork as started, as they count as completed', async () => {
    const byName = async (name: string) => {
      await reader.forceFlush();
      const points = metricExporter
        .getMetrics()
        .flatMap((rm) => rm.scopeMetrics.flatMap((sm) => sm.metrics))
        .filter((m) => m.descriptor.name === name)
        .flatMap((m) => m.dataPoints as Array<{ value: unknown; attributes: Record<string, unknown> }>)
        .filter((p) => p.attributes['hotmesh.app_id'] === mf.appId);
      const counts: Record<string, number> = {};
      for (const p of points) counts[String(p.attributes['hotmesh.workflow_name'])] = Number(p.value); // cumulative
      return counts;
    };
    const handle = await mf.workflow.start({ taskQueue: 'otel', workflowName: 'parentFlow', args: [] });
    expect(await handle.result()).toBe('kid');
    const fork = await handle.fork();
    await fork.result();
    const started = await byName('hotmesh.workflows.started');
    const completed = await byName('hotmesh.workflows.completed');
    expect(started.childFlow).toBe(completed.childFlow);
    expect(started.parentFlow).toBe(completed.parentFlow);
    expect(started).toMatchObject({ parentFlow: 2, childFlow: 1 });
  });
});
