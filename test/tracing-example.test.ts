/**
 * The README's tracing sample (examples/tracing.ts) on the README hooks example: the span tree under
 * the caller's span is the one the README shows (runs of the main workflow, each hook's runs under
 * the run that started the hook, and the durable calls each run executed, none twice).
 */
import { context, trace } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { MemFlow, type MemFlowInstance } from 'hotmesh';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { example, hook1, hook2 } from '../examples/hooks-and-context.js';
import { registerTracing, spanTree } from '../examples/tracing.js';
import { testConnection, uniqueAppId } from './support/backend.js';

describe('tracing the README hooks example', () => {
  const exporter = new InMemorySpanExporter();
  const provider = registerTracing(exporter);
  let mf: MemFlowInstance;
  beforeAll(async () => {
    mf = await MemFlow.init({ appId: uniqueAppId('trace-readme'), engine: { connection: testConnection() }, logLevel: 'silent' });
    for (const workflow of [example, hook1, hook2]) await mf.worker.create({ taskQueue: 'contextual', workflow });
  });
  afterAll(async () => {
    await mf.shutdown();
    trace.disable();
    context.disable();
  });

  it('makes one span per run and per executed call, under the caller', async () => {
    const root = provider.getTracer('app').startSpan('POST /onboard');
    const handle = await context.with(trace.setSpan(context.active(), root), () =>
      mf.workflow.start({ taskQueue: 'contextual', workflowName: 'example', args: ['Jane'] }),
    );
    await handle.result();
    root.end();
    const tree = spanTree(exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === root.spanContext().traceId));
    const lines = tree.split('\n');
    expect(lines[0]).toBe('POST /onboard');
    // calls that complete when executed: once each, whatever the replays (two merges: main's and hook2's)
    const once: Record<string, number> = { 'context set': 1, 'hook hook1': 1, 'hook hook2': 1, 'context merge': 2, 'context increment': 1 };
    for (const [call, n] of Object.entries(once)) expect(lines.filter((l) => l.trim() === call), call).toHaveLength(n);
    // a wait still pending is registered again by each run that reaches it (idempotently)
    expect(lines.filter((l) => l.trim() === 'signal wait hook1-complete').length).toBeGreaterThanOrEqual(1);
    // hooks run as threads of their own
    expect(lines.filter((l) => l.trim() === 'timer 2 seconds')).toHaveLength(1);
    expect(lines.filter((l) => l.trim() === 'signal hook1-complete')).toHaveLength(1);
    expect(lines.filter((l) => l.trim() === 'workflow example').length).toBeGreaterThanOrEqual(2);
    expect(lines.some((l) => l.trim() === 'workflow hook1')).toBe(true);
    expect(lines.some((l) => l.trim() === 'workflow hook2')).toBe(true);
    // every run of a hook continues the trace of the run that started it: a child of that run
    const mine = exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === root.spanContext().traceId);
    const mainRuns = new Set(mine.filter((s) => s.name === 'workflow example').map((s) => s.spanContext().spanId));
    const hookRuns = mine.filter((s) => s.name === 'workflow hook1' || s.name === 'workflow hook2');
    expect(hookRuns.length).toBeGreaterThanOrEqual(2);
    for (const run of hookRuns) expect(mainRuns.has(run.parentSpanContext?.spanId ?? ''), run.name).toBe(true);
    process.stdout.write(`${tree}\n`);
  }, 30_000);
});
