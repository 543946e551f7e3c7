/**
 * Metrics through the OpenTelemetry API, read with sdk-metrics' in-memory reader: the workflow
 * counters (started, completed, failed, retried, parked), the histograms (schedule-to-start measured
 * from when the task became ready, step and run durations, workflow duration with its status) and
 * the observable gauge of ready tasks per topic. Both backends.
 */
import { metrics } from '@opentelemetry/api';
import { type DataPoint, type Histogram, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { MemFlow, type MemFlowInstance } from 'hotmesh';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConnection, uniqueAppId } from './support/backend.js';
import { interceptNamed } from './support/intercept-named.js';
import { NAMED_QUERIES } from '../src/sql/queries/index.js';
import { untilWaiting } from './support/job-state.js';

/** A reader the test collects from when it wants (no timer, no exporter). */
class TestReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

const reader = new TestReader();
const meterProvider = new MeterProvider({ readers: [reader] });

async function points(name: string): Promise<Array<DataPoint<unknown>>> {
  const { resourceMetrics } = await reader.collect();
  return resourceMetrics.scopeMetrics.flatMap((sm) => sm.metrics).filter((m) => m.descriptor.name === name).flatMap((m) => m.dataPoints as Array<DataPoint<unknown>>);
}

/** The sum of a counter's points whose attributes include `attrs`. */
async function counted(name: string, attrs: Record<string, string>): Promise<number> {
  return (await points(name)).filter((p) => matches(p, attrs)).reduce((n, p) => n + Number(p.value), 0);
}

/** A histogram's point whose attributes include `attrs` (count, min, max, sum). */
async function histogram(name: string, attrs: Record<string, string>): Promise<Histogram | undefined> {
  const found = (await points(name)).filter((p) => matches(p, attrs));
  return found.length === 1 ? (found[0]!.value as Histogram) : undefined;
}

function matches(p: DataPoint<unknown>, attrs: Record<string, string>): boolean {
  return Object.entries(attrs).every(([k, v]) => p.attributes[k] === v);
}

const acts = MemFlow.workflow.proxyActivities({
  activities: {
    async meteredStep(x: string) {
      return `step:${x}`;
    },
  },
});

export async function meteredFlow(x: string) {
  const a = await acts.meteredStep(x);
  await MemFlow.workflow.sleepFor('300 milliseconds');
  return acts.meteredStep(a);
}

/** Done in its first run: with a worker in this process, the one its start was held for. */
export async function meteredQuick(x: string) {
  return acts.meteredStep(x);
}

let failingRuns = 0;
export async function meteredFailing() {
  failingRuns++;
  throw new Error(`failing run ${failingRuns}`);
}

let drift = false;
export async function meteredDrifting() {
  if (drift) await MemFlow.workflow.sleepFor('1 second');
  else await MemFlow.workflow.waitFor('go');
  return 'done';
}

export async function meteredLate() {
  return 'late';
}

describe('metrics', () => {
  let mf: MemFlowInstance;
  let appId: string;
  const app = () => ({ 'hotmesh.app_id': appId });
  beforeAll(async () => {
    metrics.setGlobalMeterProvider(meterProvider);
    appId = uniqueAppId('metrics');
    mf = await MemFlow.init({ appId, engine: { connection: testConnection() }, logLevel: 'silent' });
    for (const workflow of [meteredFlow, meteredFailing, meteredDrifting, meteredQuick]) await mf.worker.create({ taskQueue: 'metrics', workflow });
  });
  afterAll(async () => {
    await mf.shutdown();
    await meterProvider.shutdown();
    metrics.disable();
  });

  it('counts started and completed workflows, and records step, run and workflow durations', async () => {
    const handle = await mf.workflow.start({ taskQueue: 'metrics', workflowName: 'meteredFlow', args: ['x'] });
    expect(await handle.result()).toBe('step:step:x');
    const flow = { ...app(), 'hotmesh.workflow_name': 'meteredFlow' };
    expect(await counted('hotmesh.workflows.started', flow)).toBe(1);
    expect(await counted('hotmesh.workflows.completed', flow)).toBe(1);
    expect(await counted('hotmesh.workflows.failed', flow)).toBe(0);
    // two activities and one timer executed (the replays of the first activity are not steps)
    expect((await histogram('hotmesh.step.duration', { ...app(), 'hotmesh.kind': 'activity' }))?.count).toBe(2);
    expect((await histogram('hotmesh.step.duration', { ...app(), 'hotmesh.kind': 'sleep' }))?.count).toBe(1);
    // two runs of the main thread: before the sleep, and after it
    expect((await histogram('hotmesh.run.duration', flow))?.count).toBe(2);
    const took = await histogram('hotmesh.workflow.duration', { ...flow, 'hotmesh.status': 'completed' });
    expect(took?.count).toBe(1);
    expect(took!.min).toBeGreaterThanOrEqual(300); // start to end, across the sleep
    expect(took!.max).toBeLessThan(30_000);

    // a job taken by a worker at its start (no claim) is measured too
    const quick = await mf.workflow.start({ taskQueue: 'metrics', workflowName: 'meteredQuick', args: ['q'] });
    expect(await quick.result()).toBe('step:q');
    const quickly = { ...app(), 'hotmesh.workflow_name': 'meteredQuick' };
    expect((await histogram('hotmesh.workflow.duration', { ...quickly, 'hotmesh.status': 'completed' }))?.count, 'its duration').toBe(1);
    expect((await histogram('hotmesh.task.schedule_to_start', { ...app(), 'hotmesh.topic': 'metrics-meteredQuick', 'hotmesh.kind': 'thread' }))?.count, 'its schedule-to-start').toBe(1);
  }, 30_000);

  it('counts a workflow run that will run again as retried, and the job that failed for good as failed', async () => {
    const handle = await mf.workflow.start({ taskQueue: 'metrics', workflowName: 'meteredFailing', config: { maximumAttempts: 1, backoffCoefficient: 1 } });
    await expect(handle.result()).rejects.toMatchObject({ code: 597 });
    const failing = { ...app(), 'hotmesh.workflow_name': 'meteredFailing' };
    expect(await counted('hotmesh.workflows.retried', failing)).toBe(1);
    expect(await counted('hotmesh.workflows.failed', failing)).toBe(1);
    expect(await counted('hotmesh.workflows.completed', failing)).toBe(0);
    expect((await histogram('hotmesh.workflow.duration', { ...failing, 'hotmesh.status': 'failed' }))?.count).toBe(1);
  }, 30_000);

  it('counts a parked workflow, before result() hears of the park', async () => {
    drift = false;
    const handle = await mf.workflow.start({ taskQueue: 'metrics', workflowName: 'meteredDrifting' });
    const engine = await mf.client.engine(appId);
    await untilWaiting(engine, handle.workflowId, 'go');
    // The park's reply is held back, as a loaded machine may do. CI once read the duration before the
    // worker had recorded it: the park's done NOTIFY had answered result() first. Now a job started
    // here gets no NOTIFY, and result() hears of the park from the run, after its metrics.
    const parkSql = engine.bind(NAMED_QUERIES.parkThread!).text;
    let held = 0;
    const restore = interceptNamed(engine, async (send, name, sql, params, options) => {
      const res = await send(name, sql, params, options);
      if (sql === parkSql) {
        held++;
        await new Promise((resolve) => setTimeout(resolve, 1_500));
      }
      return res;
    });
    try {
      drift = true; // the code changes under the suspended job
      await handle.signal('go', null);
      await expect(handle.result()).rejects.toMatchObject({ code: 593 });
      const drifting = { ...app(), 'hotmesh.workflow_name': 'meteredDrifting' };
      expect(await counted('hotmesh.workflows.parked', drifting)).toBe(1);
      expect((await histogram('hotmesh.workflow.duration', { ...drifting, 'hotmesh.status': 'parked' }))?.count).toBe(1);
      expect(held).toBe(1);
    } finally {
      restore();
    }
  }, 30_000);

  it('gauges ready tasks per topic, and measures schedule-to-start from when the task became ready', async () => {
    // three jobs on a topic nobody serves yet: ready, and waiting
    const late = await Promise.all([1, 2, 3].map(() => mf.workflow.start({ taskQueue: 'metrics-late', workflowName: 'meteredLate' })));
    const ready = async () => {
      const found = (await points('hotmesh.tasks.ready')).filter((p) => p.attributes['hotmesh.app_id'] === appId);
      return Object.fromEntries(found.map((p) => [String(p.attributes['hotmesh.topic']), Number(p.value)]));
    };
    const before = await ready();
    expect(before['metrics-late-meteredLate']).toBe(3);
    expect(before['metrics-meteredFlow']).toBe(0); // served, none ready
    await new Promise((r) => setTimeout(r, 1200));
    await mf.worker.create({ taskQueue: 'metrics-late', workflow: meteredLate });
    for (const handle of late) expect(await handle.result()).toBe('late');
    expect((await ready())['metrics-late-meteredLate']).toBe(0);
    const waited = await histogram('hotmesh.task.schedule_to_start', { ...app(), 'hotmesh.topic': 'metrics-late-meteredLate', 'hotmesh.kind': 'thread' });
    expect(waited?.count).toBe(3);
    expect(waited!.min).toBeGreaterThanOrEqual(1200); // ready since the start, claimed after the worker came
    // a task claimed as soon as it was ready waited far less
    const prompt = await histogram('hotmesh.task.schedule_to_start', { ...app(), 'hotmesh.topic': 'metrics-meteredFlow', 'hotmesh.kind': 'thread' });
    expect(prompt!.count).toBeGreaterThanOrEqual(2);
    expect(prompt!.min).toBeLessThan(1000);
  }, 30_000);
});
