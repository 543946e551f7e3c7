/**
 * Run one task the loop holds, by its kind: a workflow or hook thread (thread-task.ts), or a remote
 * activity (activity-task.ts). A failure of the run itself is handled here, so that the task is never
 * left leased for nothing: a dropped connection gives it back for a retry soon, a refusal for its data
 * gives it back for much later, and whatever else is logged.
 */
import type { Engine } from '../engine/engine.js';
import { isConflictError } from '../storage/conflict-retry.js';
import { isDeterministicDbError, isTransientDbError } from '../storage/transient-error.js';
import { errField, type Logger } from '../telemetry/logger.js';
import type { ActivityRegistry } from './activity-registry.js';
import { runActivityTask } from './activity-task.js';
import type { ClaimedRow } from './claimed-task.js';
import type { LeaseGuard } from './lease-guard.js';
import type { RetryFields } from './retry-policy.js';
import { runThreadTask, type ThreadProgram } from './thread-task.js';
import type { WorkStarted } from './task-loop-options.js';

/** A task whose run could not even record its failure is tried again this much later, not every lease. */
const REFUSED_RETRY_SECONDS = 300;

/** What a topic serves: a workflow/hook function, or (`<queue>-activity`) remote activities. */
export type Registration = { kind: 'workflow'; program: ThreadProgram; retry?: RetryFields } | { kind: 'activity'; retry?: RetryFields };

export interface ClaimedRunDeps {
  engine: Engine;
  activities: ActivityRegistry;
  logger: Logger;
  /** What the task's topic serves here (undefined: nothing, any more). */
  registration: Registration | undefined;
  guard: LeaseGuard;
  /** The loop is shutting down: it gives the task back itself. */
  stopping(): boolean;
  /** Give the task back, runnable after `delaySeconds`. */
  release(delaySeconds: number): Promise<unknown>;
  /** The run suspended until `runAtMs` (DB clock), or for good (null). */
  onSuspended(runAtMs: number | null): void;
  /** The run ended its job, whose record expires in `inMs` (started with `expire`). */
  onExpires?(inMs: number): void;
  /** The task was given back for a retry in about a second: look again then. */
  retrySoon(): void;
  /** A run started a child job (see TaskLoopOptions.onWorkStarted). */
  onWorkStarted?: WorkStarted;
}

export async function runClaimed(row: ClaimedRow, deps: ClaimedRunDeps): Promise<void> {
  const { registration, guard, logger } = deps;
  try {
    if (registration?.kind === 'activity' && row.kind === 'activity') {
      await runActivityTask(deps.engine, row, deps.activities, guard, registration.retry, logger);
    } else if (registration?.kind === 'workflow' && row.kind === 'thread') {
      await runThreadTask(row, {
        engine: deps.engine,
        program: registration.program,
        workerRetry: registration.retry,
        activities: deps.activities,
        logger,
        onSuspended: deps.onSuspended,
        onExpires: deps.onExpires,
        guard,
        onWorkStarted: deps.onWorkStarted,
      });
    } else {
      // A task of the other kind on a topic this loop serves (a workflow named `activity`, which
      // validation now refuses, served by an older build): said, and tried again much later.
      logger.error(
        { jobId: row.job_id, thread: row.thread, topic: row.topic, taskId: row.id, kind: row.kind, served: registration?.kind ?? null },
        `task of kind '${row.kind}' on a topic this worker serves as ${registration?.kind ?? 'nothing'}; given back for ${REFUSED_RETRY_SECONDS} s`,
      );
      await deps.release(REFUSED_RETRY_SECONDS);
    }
  } catch (err) {
    // shutting down (the loop gives the task back), or the lease was lost (another worker has it)
    if (deps.stopping() || guard.lost) return;
    if (isTransientDbError(err)) {
      // Fix: the connection dropped under the statement that ends the run (finishThread,
      // suspendThread, retryThread, finishActivityTask, ...). This used to be logged as a worker
      // failure and the task left leased until its lease ran out (30 s by default) before anyone
      // ran it again. Give it back for a retry soon instead, as an aborted run does: everything the
      // run did is journaled. If the statement committed and only its reply was lost, the release
      // matches nothing (the task was deleted, or released by that statement: see releaseTask).
      await deps.release(1);
      deps.retrySoon();
      return;
    }
    if (isConflictError(err)) {
      // A deadlock victim or a serialization failure (interrupt_job locking several jobs, say): the
      // statement was rolled back and everything before it is journaled. It used to be logged as a
      // worker failure and the task left leased until its lease ran out. Said, and run again soon.
      logger.warn({ jobId: row.job_id, thread: row.thread, topic: row.topic, taskId: row.id, err: errField(err) }, 'statement refused for a conflict with another transaction; run again');
      await deps.release(1);
      deps.retrySoon();
      return;
    }
    logger.error({ jobId: row.job_id, thread: row.thread, topic: row.topic, taskId: row.id, err: errField(err) }, 'task failed in the worker');
    if (isDeterministicDbError(err)) {
      // The run's closing statement was refused for its data, and so was the 598 failure that
      // replaces it (thread-task.ts, activity-task.ts). Nothing this worker can do: try again in
      // REFUSED_RETRY_SECONDS (data fixed, code deployed) rather than every lease.
      await deps.release(REFUSED_RETRY_SECONDS);
    }
  }
}
