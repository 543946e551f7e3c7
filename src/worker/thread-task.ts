/**
 * Run one claimed thread task: replay the thread from its journal, let it make progress, and record
 * how the run ended (completed, failed, retried, suspended or parked), fenced by the lease (run-end.ts).
 */
import type { Engine } from '../engine/engine.js';
import { ContinueAsNew } from '../errors.js';
import { cancelFailure, cancelRequestedAt } from '../manage/cancel.js';
import { toFailure } from '../failure-codec.js';
import type { ExecutionInfo } from '../replay/execution-info.js';
import { ThreadRun } from '../replay/thread-run.js';
import type { ActivityRegistry } from './activity-registry.js';
import { CallSite } from './calls/call-site.js';
import { type ClaimedRow, heldTask, toJournalEntry } from './claimed-task.js';
import { resolveContextReferences } from './context-references.js';
import type { LeaseGuard } from './lease-guard.js';
import { type Logger, SILENT_LOGGER, withFields } from '../telemetry/logger.js';
import { recordRunDuration } from './run-metrics.js';
import { contextFrom, endSpan, startSpan, within } from '../telemetry/tracing.js';
import { overlayRetry, type ResolvedRetry, resolveRetry, type RetryFields } from './retry-policy.js';
import { endRun } from './run-end.js';
import { ThreadPort } from './thread-port.js';
import type { WorkStarted } from './task-loop-options.js';

/** What a thread run gives the function it runs: who it is, its run, and its arguments. */
export interface ThreadExecution {
  info: ExecutionInfo;
  run: ThreadRun;
  args: unknown[];
}

/** How a topic's function is run (the runtime wraps the user's function: scope, interceptors). */
export type ThreadProgram = (execution: ThreadExecution) => Promise<unknown>;

export interface ThreadTaskDeps {
  engine: Engine;
  program: ThreadProgram;
  workerRetry?: RetryFields;
  activities: ActivityRegistry;
  logger?: Logger;
  /** Called with the time (epoch ms, DB clock) at which a suspended thread becomes due. */
  onSuspended(runAtMs: number | null): void;
  /** Called when the run ended its job and the job's record expires in `inMs` (the sweeper comes then). */
  onExpires?(inMs: number): void;
  /** The task's lease as the task loop knows it: the run stops when it is lost. */
  guard: LeaseGuard;
  /** A run started a child job (see TaskLoopOptions.onWorkStarted). */
  onWorkStarted?: WorkStarted;
}

export async function runThreadTask(row: ClaimedRow, deps: ThreadTaskDeps): Promise<void> {
  const { engine } = deps;
  const options = row.job_options ?? {};
  // a hook's own policy, field by field over the job's (a field it leaves unset, or falsy, is the job's)
  const config = row.thread_config ? overlayRetry(options.config, row.thread_config) : (options.config ?? {});
  // A policy that does not parse (stored by an older build, or written by hand: starts validate it now)
  // fails the job at once, with the ValidationError that names the field; thrown here, it failed every
  // claim and the job never ended.
  let policy: ResolvedRetry;
  let badPolicy: unknown;
  try {
    policy = resolveRetry(config, deps.workerRetry);
  } catch (err) {
    badPolicy = err;
    policy = resolveRetry();
  }
  const failures = row.failures ?? 0;
  const info: ExecutionInfo = {
    workflowId: row.job_id,
    namespace: engine.appId,
    workflowTopic: row.topic,
    workflowName: row.workflow_name ?? '',
    taskQueue: row.task_queue ?? '',
    thread: row.thread,
    workflowDimension: row.thread === 'main' ? '' : row.thread,
    canRetry: failures < policy.maximumAttempts,
    expire: options.expire,
    config,
    originJobId: options.originJobId,
    parentWorkflowId: options.parentWorkflowId,
  };
  const task = heldTask(row);
  const lease = { taskId: task.taskId, claims: task.claims, jobId: task.jobId, thread: task.thread };
  const args = Array.isArray(row.args) ? row.args : [];
  const log = withFields(deps.logger ?? SILENT_LOGGER, {
    appId: engine.appId,
    jobId: row.job_id,
    thread: row.thread,
    workflowName: info.workflowName,
    taskQueue: info.taskQueue,
  });
  const attributes = {
    'hotmesh.app_id': engine.appId,
    'hotmesh.job_id': row.job_id,
    'hotmesh.workflow_name': info.workflowName,
    'hotmesh.thread': row.thread,
  };
  const runStarted = performance.now();
  // a hook thread continues the trace it was started in; the main thread, the job's
  const parent = contextFrom(row.thread_trace ?? options.trace);
  const span = startSpan(`workflow ${info.workflowName}`, attributes, parent);
  // no SDK registered (or the run sampled out): its calls make no spans either, and cost nothing
  const traceContext = span.isRecording() ? within(span, parent) : undefined;
  const site = new CallSite(engine, task, info, args, Number(row.db_now), deps.workerRetry, deps.activities, log, deps.guard, traceContext);
  site.onWorkStarted = deps.onWorkStarted;
  // continueAsNew: this run counts its calls on from the earlier runs' last seq; a late result addressed
  // to one of their seqs is not this run's
  const seqBase = Number(row.thread_seq_base ?? 0);
  // a job just started has an empty journal: no arrays to make (nor a second shape of them to compile for)
  const journal = row.journal && row.journal.length > 0 ? row.journal.map(toJournalEntry).filter((e) => e.seq > seqBase) : [];
  try {
    const resolving = resolveContextReferences(site, journal);
    if (resolving) await resolving;
  } catch (err) {
    // the task loop logs it and gives the task back (later, for a log that misses versions: HM004)
    endSpan(span, toFailure(err));
    throw err;
  }
  // handle.cancel(): the main thread's current or next wait throws a CancelledError (manage/cancel.ts)
  const cancel = row.thread === 'main' && options.cancel ? cancelFailure(row.job_id, options.cancel) : undefined;
  const cancelAt = cancel ? cancelRequestedAt(options.cancel!) : undefined;
  const run = new ThreadRun(journal, new ThreadPort(site), { jobId: row.job_id, thread: row.thread, seqBase }, cancel, cancelAt);
  // Fix: a heartbeat that did not return the task was ignored, and the stale run went on executing
  // inline activities whose results the fence then refused. Now it stops at its next durable call.
  deps.guard.onLost((error) => run.abort(error));
  const outcome = await run.run(badPolicy === undefined ? () => deps.program({ info, run, args }) : () => Promise.reject(badPolicy));
  const failed = (outcome.type === 'failed' && !(outcome.error instanceof ContinueAsNew)) || outcome.type === 'nondeterminism';
  endSpan(span, failed ? toFailure(outcome.error) : undefined);
  recordRunDuration(attributes, performance.now() - runStarted);
  // The lease was lost (another worker may run the thread now) or the worker is shutting down and
  // gives the task back itself: this run records nothing.
  if (!deps.guard.confirmed && !(await deps.guard.holds())) return;
  deps.guard.close(); // what follows ends the run, and with it the lease
  try {
    await endRun({ deps, row, site, lease, log, attributes, options, args, run, policy, failures, cancel }, outcome);
  } finally {
    site.releaseHeldChildren(); // children started with startChild and not released yet
  }
}
