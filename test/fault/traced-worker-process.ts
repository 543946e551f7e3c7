/**
 * A real, traced worker process for kill-worker-spans.test.ts (spawned, never imported).
 *
 *   node --import tsx test/fault/traced-worker-process.ts '<json TracedConfig>'
 *
 * It registers an OpenTelemetry SDK whose exporter appends every finished span as one JSON line
 * (fsynced) to `spansFile`, shared by every process of the test: what a process exported before it
 * was SIGKILLed is still there to count.
 *
 * Modes: `start` serves the workflow, starts the job inside a span of its own (`caller`), and hangs in
 * step `three` until the test kills it; `resume` serves the same workflow, waits for the job's result
 * and prints it with the job's journal (`RESULT {result, journal}`), then exits 0. With `standby`, it
 * prints `LOADED` and serves only after `serve` on stdin. Protocol lines: `LOADED`, `READY`,
 * `STARTED <id>`, `RUNNING step three`, `RESULT <json>`, `ERROR <json>`.
 */
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, type ReadableSpan, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { MemFlow } from '../../src/index.js';
import { type BackendConfig, configFromArgv, connectionFor, exitWithResult, say, untilCommand } from './support/child-side.js';
import { appendDurably } from './support/execution-log.js';

export interface TracedConfig extends BackendConfig {
  mode: 'start' | 'resume';
  standby?: boolean;
  appId: string;
  workflowId: string;
  spansFile: string;
  leaseSeconds: number;
}

/** One exported span, as the test reads it. */
export interface SpanRecord {
  pid: number;
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  attributes: Record<string, unknown>;
}

const config = configFromArgv<TracedConfig>();
const TASK_QUEUE = 'traced';

/** Every finished span, one fsynced line each. */
class FileExporter implements SpanExporter {
  export(spans: ReadableSpan[], done: Parameters<SpanExporter['export']>[1]): void {
    for (const s of spans) {
      const record: SpanRecord = {
        pid: process.pid,
        name: s.name,
        traceId: s.spanContext().traceId,
        spanId: s.spanContext().spanId,
        parentSpanId: s.parentSpanContext?.spanId,
        attributes: { ...s.attributes },
      };
      appendDurably(config.spansFile, record);
    }
    done({ code: 0 }); // ExportResultCode.SUCCESS
  }
  async shutdown(): Promise<void> {}
}

context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(new FileExporter())] });
trace.setGlobalTracerProvider(provider);

const acts = MemFlow.workflow.proxyActivities({
  activities: {
    async step(arg: string): Promise<string> {
      if (arg === 'three' && config.mode === 'start') {
        say(`RUNNING step ${arg}`);
        await new Promise((resolve) => setTimeout(resolve, 600_000)); // until SIGKILL
      }
      return `${arg}:done`;
    },
  },
  retryPolicy: { maximumAttempts: 1, maximumInterval: '1s', backoffCoefficient: 1 },
});

/** A run that ends (the sleep suspends it), then a run killed in step three, then the rest elsewhere. */
export async function tracedPipeline() {
  const one = await acts.step('one');
  await MemFlow.workflow.sleepFor('100 milliseconds');
  const [twoA, twoB] = await Promise.all([acts.step('two-a'), acts.step('two-b')]);
  const three = await acts.step('three');
  const four = await acts.step('four');
  return [one, twoA, twoB, three, four];
}

const mf = await MemFlow.init({ appId: config.appId, engine: { connection: connectionFor(config) }, logLevel: 'error' });
if (config.standby) {
  say('LOADED');
  await untilCommand('serve');
}
await mf.worker.create({ taskQueue: TASK_QUEUE, workflow: tracedPipeline, options: { leaseSeconds: config.leaseSeconds } });
say('READY');

if (config.mode === 'start') {
  const caller = provider.getTracer('test').startSpan('caller');
  const handle = await context.with(trace.setSpan(context.active(), caller), () =>
    mf.workflow.start({ workflowName: 'tracedPipeline', taskQueue: TASK_QUEUE, workflowId: config.workflowId }),
  );
  caller.end();
  say(`STARTED ${handle.workflowId}`);
  // Stay up, serving, until the test kills this process.
} else {
  await exitWithResult(
    () => mf.shutdown(),
    async () => {
      const result = await (await mf.workflow.getHandle(TASK_QUEUE, 'tracedPipeline', config.workflowId)).result();
      const engine = await mf.client.engine(config.appId);
      const journal = await engine.driver.query<{ thread: string; seq: number; kind: string; name: string }>(
        `SELECT thread, seq, kind, name FROM "${engine.schema}".journal WHERE job_id = $1 ORDER BY thread, seq`,
        [config.workflowId],
      );
      return { result, journal: journal.rows };
    },
  );
}
