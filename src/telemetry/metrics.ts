/**
 * Metrics, through `@opentelemetry/api` only, on the global meter provider (no-ops until the
 * application registers an SDK):
 * - counters `hotmesh.workflows.started`, `.completed`, `.failed` (for good), `.retried` (a run that
 *   failed and will run again) and `.parked`, by app and workflow name (started: a client's start,
 *   a child or detached start from a workflow, a fork);
 * - histograms (ms) `hotmesh.task.schedule_to_start` (from when a task became ready, its due time,
 *   to the claim that took it; by app, topic and kind), `hotmesh.step.duration` (a durable call
 *   executed, start to journaled; by app and kind), `hotmesh.run.duration` (one run of a thread, claim
 *   to end) and `hotmesh.workflow.duration` (a job from its start to its end: completed, failed or
 *   parked; by app, workflow name and status);
 * - observable gauge `hotmesh.tasks.ready`: tasks ready to be claimed now, per topic of the app
 *   (every topic with some, and 0 for the topics the observing worker serves), counted by each task
 *   loop when the SDK collects.
 */
import { type Attributes, metrics, type ObservableCallback, type ObservableGauge } from '@opentelemetry/api';

function createInstruments() {
  const m = metrics.getMeter('hotmesh');
  return {
    started: m.createCounter('hotmesh.workflows.started', { description: 'Workflows started' }),
    completed: m.createCounter('hotmesh.workflows.completed', { description: 'Workflows that completed' }),
    failed: m.createCounter('hotmesh.workflows.failed', { description: 'Workflows that failed for good' }),
    retried: m.createCounter('hotmesh.workflows.retried', { description: 'Workflow runs that failed and will run again' }),
    parked: m.createCounter('hotmesh.workflows.parked', { description: 'Workflows parked on non-deterministic replay' }),
    scheduleToStart: m.createHistogram('hotmesh.task.schedule_to_start', {
      unit: 'ms',
      description: 'Tasks claimed: from when the task became ready (due) to the claim',
    }),
    stepDuration: m.createHistogram('hotmesh.step.duration', { unit: 'ms', description: 'Durable calls executed, start to journaled' }),
    runDuration: m.createHistogram('hotmesh.run.duration', { unit: 'ms', description: 'Workflow runs, claim to end' }),
    workflowDuration: m.createHistogram('hotmesh.workflow.duration', { unit: 'ms', description: 'Workflows, start to end' }),
    readyTasks: m.createObservableGauge('hotmesh.tasks.ready', { description: 'Tasks ready to be claimed, per topic' }),
  };
}

let made: { provider: unknown; instruments: ReturnType<typeof createInstruments> } | undefined;

/**
 * The engine's instruments on the global meter provider (made again if the application registers
 * another). A cache of the provider's instruments, not state of its own: the provider is global.
 */
export function instruments(): ReturnType<typeof createInstruments> {
  const provider = metrics.getMeterProvider();
  if (made?.provider !== provider) made = { provider, instruments: createInstruments() };
  return made.instruments;
}

/** Ready tasks per topic, as one observation reads them. */
export type ReadyCounts = () => Promise<Array<{ topic: string; ready: number }>>;

/**
 * One task loop's observation of `hotmesh.tasks.ready`: registered on the current provider's gauge
 * by `refresh()` (again when the application registered another provider since), removed by `stop()`.
 * A count that fails is skipped for that collection (the claim loop reports an unreachable database).
 */
export class ReadyTasksObserver {
  private registered: { gauge: ObservableGauge; callback: ObservableCallback } | undefined;

  constructor(
    private readonly appId: string,
    private readonly count: ReadyCounts,
  ) {}

  refresh(): void {
    const gauge = instruments().readyTasks;
    if (this.registered?.gauge === gauge) return;
    this.stop();
    const callback: ObservableCallback = async (result) => {
      let counts: Awaited<ReturnType<ReadyCounts>>;
      try {
        counts = await this.count();
      } catch {
        return;
      }
      for (const { topic, ready } of counts) {
        const attributes: Attributes = { 'hotmesh.app_id': this.appId, 'hotmesh.topic': topic };
        result.observe(ready, attributes);
      }
    };
    gauge.addCallback(callback);
    this.registered = { gauge, callback };
  }

  stop(): void {
    if (!this.registered) return;
    this.registered.gauge.removeCallback(this.registered.callback);
    this.registered = undefined;
  }
}
