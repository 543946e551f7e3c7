/**
 * OpenTelemetry, through `@opentelemetry/api` only: every span and metric here is a no-op until the
 * application registers an SDK. A workflow run, and each durable call a run executes on new ground,
 * is a span (`workflow <name>`, `activity <name>`, `timer <duration>`, `signal wait <id>`, ...), with
 * `hotmesh.app_id`, `hotmesh.job_id`, `hotmesh.workflow_name`, `hotmesh.seq`. A replayed call is not
 * executed, so it makes no span: one span per journaled call, however many times a thread replays. A
 * call still waiting (a signal wait, a child, a remote activity) is registered again, idempotently, by
 * each run that reaches it before its result arrives, and each registration is a span.
 *
 * The caller's active span at `start()` is stored with the job (`jobs.options.trace`), so every run
 * of the job, on any process and after any crash, continues that trace. A hook thread keeps the trace
 * it was started in (`threads.trace`, migration 0040): the caller's at an outside `hook()`, the run's
 * for a hook a run starts. An outside `signal` is a span in the caller's trace around its delivery.
 * Metrics: telemetry/metrics.ts.
 */
import { type Attributes, type Context, context, ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, trace, TraceFlags, type Tracer, type TracerProvider } from '@opentelemetry/api';

/** What a job keeps of the trace it was started in. */
export interface StoredTraceContext {
  traceId: string;
  spanId: string;
  traceFlags: number;
}

/**
 * The tracer, kept per global provider. The API's provider is a proxy that hands out tracers which
 * follow an SDK registered later; `trace.disable()` replaces the proxy, and with it this tracer.
 * (`trace.getTracer()` made a new proxy tracer for every span.)
 */
let kept: { provider: TracerProvider; tracer: Tracer } | undefined;
function tracer(): Tracer {
  const provider = trace.getTracerProvider();
  if (kept?.provider !== provider) kept = { provider, tracer: provider.getTracer('hotmesh') };
  return kept.tracer;
}

/** The active span's identity, to store with a job started now (undefined when none is active). */
export function currentTraceContext(active: Context = context.active()): StoredTraceContext | undefined {
  const sc = trace.getSpanContext(active);
  if (!sc || !trace.isSpanContextValid(sc)) return undefined;
  return { traceId: sc.traceId, spanId: sc.spanId, traceFlags: sc.traceFlags };
}

/** A stored trace context as a jsonb parameter (null when there is none). */
export function storedTrace(stored: StoredTraceContext | undefined): string | null {
  return stored ? JSON.stringify(stored) : null;
}

/** The context a run's span is a child of. */
export function contextFrom(stored: StoredTraceContext | undefined): Context {
  if (!stored || typeof stored.traceId !== 'string' || typeof stored.spanId !== 'string') return ROOT_CONTEXT;
  return trace.setSpanContext(ROOT_CONTEXT, {
    traceId: stored.traceId,
    spanId: stored.spanId,
    traceFlags: typeof stored.traceFlags === 'number' ? stored.traceFlags : TraceFlags.SAMPLED,
    isRemote: true,
  });
}

export function startSpan(name: string, attributes: Attributes, parent: Context): Span {
  return tracer().startSpan(name, { attributes }, parent);
}

/** The context whose parent is `span` (for the spans of the calls a run makes). */
export function within(span: Span, parent: Context): Context {
  return trace.setSpan(parent, span);
}

export function endSpan(span: Span, error?: { message: string } | undefined): void {
  if (error) span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
  span.end();
}

/** A one-off span (`trace()` in a workflow). */
export function recordSpan(name: string, attributes: Record<string, unknown>): void {
  tracer().startSpan(name, { attributes: attributes as Attributes }).end();
}

/**
 * A span around something a client does to a job from outside (`signal <id>`): a child of the
 * caller's active span, ended with the error `fn` throws, if any.
 */
export async function clientSpan<T>(name: string, attributes: Attributes, fn: (span: Span) => Promise<T>): Promise<T> {
  const span = tracer().startSpan(name, { kind: SpanKind.PRODUCER, attributes }, context.active());
  try {
    const value = await fn(span);
    span.end();
    return value;
  } catch (err) {
    endSpan(span, err instanceof Error ? err : { message: String(err) });
    throw err;
  }
}
