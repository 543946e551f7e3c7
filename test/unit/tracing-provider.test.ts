/**
 * The tracer is kept per global provider (telemetry/tracing.ts): spans go to an SDK registered after
 * the first span, and after `trace.disable()` and a new registration, to the new SDK only.
 */
import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { recordSpan, startSpan } from '../../src/telemetry/tracing.js';

const sdk = () => {
  const exporter = new InMemorySpanExporter();
  return { exporter, provider: new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }) };
};
const names = (exporter: InMemorySpanExporter) => exporter.getFinishedSpans().map((s) => s.name);

describe('the tracer follows the registered provider', () => {
  afterEach(() => trace.disable());

  it('no SDK, then one registered, then disabled and another registered', () => {
    startSpan('before any sdk', {}, ROOT_CONTEXT).end(); // a no-op span, and the tracer is kept

    const a = sdk();
    trace.setGlobalTracerProvider(a.provider);
    startSpan('to a', {}, ROOT_CONTEXT).end();
    recordSpan('also to a', {});
    expect(names(a.exporter)).toEqual(['to a', 'also to a']);

    trace.disable();
    const b = sdk();
    trace.setGlobalTracerProvider(b.provider);
    startSpan('to b', {}, ROOT_CONTEXT).end();
    expect(names(b.exporter)).toEqual(['to b']);
    expect(names(a.exporter)).toEqual(['to a', 'also to a']);

    trace.disable();
    startSpan('after disable', {}, ROOT_CONTEXT).end();
    expect(names(a.exporter)).toHaveLength(2);
    expect(names(b.exporter)).toHaveLength(1);
  });
});
