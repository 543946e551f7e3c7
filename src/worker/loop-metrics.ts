/**
 * The metrics a task loop makes itself (telemetry/metrics.ts): how long each task it claims waited
 * since it became ready (`hotmesh.task.schedule_to_start`), and, while it runs, the counts of the
 * `hotmesh.tasks.ready` gauge. A count that fails is logged, once per streak, and skips one observation.
 */
import type { Engine } from '../engine/engine.js';
import * as tasks from '../sql/queries/tasks.js';
import { errField, type Logger } from '../telemetry/logger.js';
import { instruments, ReadyTasksObserver } from '../telemetry/metrics.js';
import type { ClaimedRow } from './claimed-task.js';
import { FailureStreak } from './failure-streak.js';

export class LoopMetrics {
  private readonly ready: ReadyTasksObserver;
  private readonly countFailures: FailureStreak;
  private stopped = false;

  constructor(
    private readonly engine: Engine,
    logger: Logger,
    /** The topics the loop serves (each reported, as 0 when none of its tasks is ready). */
    private readonly topicNames: () => string[],
    /** Options of the count statement (its deadline). */
    private readonly statementOptions: { deadlineMs: number },
  ) {
    this.countFailures = new FailureStreak(
      (err) => logger.warn({ topics: topicNames(), err: errField(err) }, 'counting ready tasks for the metrics failed'),
      () => logger.info({ topics: topicNames() }, 'counting ready tasks for the metrics works again'),
    );
    this.ready = new ReadyTasksObserver(engine.appId, () => this.countReady());
  }

  /** Observe the gauge on the current meter provider (again if the application registered another since). */
  observe(): void {
    if (!this.stopped) this.ready.refresh();
  }

  stop(): void {
    this.stopped = true;
    this.ready.stop();
  }

  /** How long each claimed task waited, from when it became ready (due) to the claim (DB clock). */
  claimed(rows: ClaimedRow[]): void {
    if (rows.length === 0) return;
    const histogram = instruments().scheduleToStart;
    for (const row of rows) {
      if (row.ready_at === null || row.ready_at === undefined) continue;
      const waited = Math.max(0, Number(row.db_now) - Number(row.ready_at));
      histogram.record(waited, { 'hotmesh.app_id': this.engine.appId, 'hotmesh.topic': row.topic, 'hotmesh.kind': row.kind });
    }
  }

  private async countReady(): Promise<Array<{ topic: string; ready: number }>> {
    if (this.stopped) return [];
    try {
      const res = await this.engine.query(tasks.countReadyTasks, { served: this.topicNames() }, this.statementOptions);
      this.countFailures.ok();
      return res.rows;
    } catch (err) {
      this.countFailures.fail(err);
      throw err;
    }
  }
}
