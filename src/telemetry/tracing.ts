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
 * of the job, on any process and after any crash, continues that trace.
 */
import { type Attributes, type Context, context, metrics, ROOT_CONTEXT, type Span, SpanStatusCode, trace, TraceFlags } from '@opentelemetry/api';

/** What a job keeps of the trace it was started in. */
export interface StoredTraceContext {
  traceId: string;
  spanId: string;
  traceFlags: number;
}

const tracer = () => trace.getTracer('hotmesh');
const meter = () => metrics.getMeter('hotmesh');

/** The active span's identity, to store with a job started now (undefined when none is active). */
export function currentTraceContext(active: Context = context.active()): StoredTraceContext | undefined {
  const sc = trace.getSpanContext(active);
  if (!sc || !trace.isSpanContextValid(sc)) return undefined;
  return { traceId: sc.traceId, spanId: sc.spanId, traceFlags: sc.traceFlags };
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

function createInstruments() {
  const m = meter();
  return {
    started: m.createCounter('hotmesh.workflows.started', { description: 'Workflows started' }),
    completed: m.createCounter('hotmesh.workflows.completed', { description: 'Workflows that completed' }),
    failed: m.createCounter('hotmesh.workflows.failed', { description: 'Workflows that failed for good' }),
    retried: m.createCounter('hotmesh.workflows.retried', { description: 'Workflow runs that failed and will run again' }),
    parked: m.createCounter('hotmesh.workflows.parked', { description: 'Workflows parked on non-deterministic replay' }),
    stepDuration: m.createHistogram('hotmesh.step.duration', { unit: 'ms', description: 'Durable calls executed, start to journaled' }),
    runDuration: m.createHistogram('hotmesh.run.duration', { unit: 'ms', description: 'Workflow runs, claim to end' }),
  };
}

let made: { provider: unknown; instruments: ReturnType<typeof createInstruments> } | undefined;

/** The engine's instruments on the global meter provider (made again if the application registers another). */
export function instruments(): ReturnType<typeof createInstruments> {
  const provider = metrics.getMeterProvider();
  if (made?.provider !== provider) made = { provider, instruments: createInstruments() };
  return made.instruments;
}
