/**
 * Run one claimed thread task: replay the thread from its journal, let it make progress, and record
 * how the run ended (completed, failed, retried, suspended or parked), fenced by the lease.
 */
import type { Engine } from '../engine/engine.js';
import { ErrorCode, LeaseLostError, type StoredFailure } from '../errors.js';
import { isTerminalCode, toFailure, withCode } from '../failure-codec.js';
import { encodeJson } from '../json-value.js';
import type { ExecutionInfo } from '../replay/execution-info.js';
import { ThreadRun } from '../replay/thread-run.js';
import * as tasks from '../sql/queries/tasks.js';
import * as threads from '../sql/queries/threads.js';
import type { ActivityRegistry } from './activity-registry.js';
import { CallSite } from './calls/call-site.js';
import { type ClaimedRow, heldTask, toJournalEntry } from './claimed-task.js';
import { type Logger, withFields } from '../telemetry/logger.js';
import { resolveRetry, retryDelaySeconds, type RetryFields } from './retry-policy.js';
import { ThreadPort } from './thread-port.js';

const SILENT: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** A stored failure as a log field (pino's `err` shape). */
export function failureField(f: StoredFailure): Record<string, unknown> {
  return { type: f.type, message: f.message, code: f.code, stack: f.stack };
}

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
}

export async function runThreadTask(row: ClaimedRow, deps: ThreadTaskDeps): Promise<void> {
  const { engine } = deps;
  const options = row.job_options ?? {};
  const config = options.config ?? {};
  const policy = resolveRetry(config, deps.workerRetry);
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
  const log = withFields(deps.logger ?? SILENT, {
    appId: engine.appId,
    jobId: row.job_id,
    thread: row.thread,
    workflowName: info.workflowName,
    taskQueue: info.taskQueue,
  });
  const site = new CallSite(engine, task, info, args, Number(row.db_now), deps.workerRetry, deps.activities, log);
  const run = new ThreadRun((row.journal ?? []).map(toJournalEntry), new ThreadPort(site), { jobId: row.job_id, thread: row.thread });
  const outcome = await run.run(() => deps.program({ info, run, args }));

  const finish = async (status: 'completed' | 'failed', output: string | null, error: StoredFailure | null) => {
    await engine.query(threads.finishThread, {
      ...lease,
      status,
      output,
      error: error && JSON.stringify(error),
      expireSeconds: options.expire ?? null,
      channel: engine.channel,
    });
    if (row.thread === 'main') engine.localDone(row.job_id);
  };

  switch (outcome.type) {
    case 'completed': {
      let output: string | null;
      try {
        output = encodeJson('workflow result', outcome.value);
      } catch (err) {
        await finish('failed', null, withCode(toFailure(err), ErrorCode.FATAL));
        return;
      }
      await finish('completed', output, null);
      return;
    }
    case 'failed': {
      let error = toFailure(outcome.error);
      // Bad input and bad data do not get better by running the same code again: fail at once.
      if (error.retryable === false && !isTerminalCode(error.code)) error = withCode(error, ErrorCode.FATAL);
      const count = outcome.progressed ? 1 : failures + 1;
      if (isTerminalCode(error.code)) {
        log.error({ code: error.code, err: failureField(error) }, 'workflow failed');
        await finish('failed', null, error);
      } else if (count <= policy.maximumAttempts) {
        const delaySeconds = retryDelaySeconds(count, policy);
        log.warn({ attempt: count, nextDelaySeconds: delaySeconds, err: failureField(error) }, 'workflow run failed; it will run again');
        await engine.query(threads.retryThread, { ...lease, failures: count, delaySeconds, error: JSON.stringify(error) });
        deps.onSuspended(site.now() + delaySeconds * 1000);
      } else {
        log.error({ code: ErrorCode.MAXED, attempts: count, err: failureField(error) }, 'workflow failed: retries exhausted');
        await finish('failed', null, withCode(error, ErrorCode.MAXED, 'MemFlowMaxedError'));
      }
      return;
    }
    case 'suspended': {
      const timers = outcome.timers.map((t) => ({ seq: t.seq, name: t.name, value: t.value ?? null, secs: t.remainingMs / 1000 }));
      const res = await engine.query(tasks.suspendThread, {
        ...lease,
        timers: JSON.stringify(timers),
        wakeups: row.wakeups,
        nextDueAt: outcome.nextDueAt,
      });
      const runAt = res.rows[0]?.run_at;
      deps.onSuspended(runAt === undefined || !Number.isFinite(Number(runAt)) ? null : Number(runAt));
      return;
    }
    case 'nondeterminism': {
      const error = withCode(toFailure(outcome.error), ErrorCode.NON_DETERMINISM);
      const { seq, recorded, attempted } = outcome.error;
      log.error({ seq, recorded, attempted, code: ErrorCode.NON_DETERMINISM, err: failureField(error) }, 'job parked: non-deterministic replay');
      await engine.query(threads.parkThread, { ...lease, error: JSON.stringify(error), channel: engine.channel });
      engine.localDone(row.job_id);
      return;
    }
    case 'aborted': {
      // A fenced write was refused. Usually another worker holds the task now, and the release below
      // matches nothing (its claims differ). But the fence of a journal write also refuses a step
      // that already has a result this run did not replay: the lease is still ours, and keeping it
      // would stall the thread for a whole lease. Give it back at once; the next claim replays it.
      // Infrastructure trouble (connection lost, Postgres restarting): give the task back for a retry soon.
      const delaySeconds = outcome.error instanceof LeaseLostError ? 0 : 1;
      await engine.query(tasks.releaseTask, { taskId: task.taskId, claims: task.claims, delaySeconds }).catch(() => {});
      deps.onSuspended(site.now() + delaySeconds * 1000);
      return;
    }
  }
}
