/**
 * Run one claimed thread task: replay the thread from its journal, let it make progress, and record
 * how the run ended (completed, failed, retried, suspended or parked), fenced by the lease.
 */
import type { Engine } from '../engine/engine.js';
import { ErrorCode, isHotMeshError, isTerminalCode, type SerializedError, serializeError } from '../errors.js';
import { encodeJson } from '../json-value.js';
import type { JournalEntry } from '../replay/journal-entry.js';
import { ThreadRun } from '../replay/thread-run.js';
import type { ExecutionInfo, RetryConfig } from '../workflow/execution.js';
import { withWorkflowInterceptors } from '../workflow/interceptors.js';
import { runInExecution } from './execution-scope.js';
import { publishNow } from './publish.js';
import { resolveRetry, retryDelaySeconds, type RetryFields } from './retry-policy.js';
import { ThreadPort } from './thread-port.js';

export interface ClaimedRow {
  id: string;
  job_id: string;
  thread: string;
  seq: number;
  kind: 'thread' | 'activity';
  topic: string;
  claims: number;
  wakeups: number;
  payload: unknown;
  workflow_name: string | null;
  task_queue: string | null;
  args: unknown[] | null;
  failures: number | null;
  thread_status: string | null;
  job_options: { expire?: number; config?: RetryConfig; parentWorkflowId?: string; originJobId?: string } | null;
  entity: string | null;
  job_status: string | null;
  db_now: number;
  journal: RawJournalRow[] | null;
}

interface RawJournalRow {
  seq: number;
  kind: string;
  name: string;
  status: 'done' | 'failed' | 'retry';
  result: unknown;
  undef: boolean;
  attempt: number;
  batch: number | null;
  due: number | null;
}

const FATAL_KINDS = ['ValidationError', 'ContextTypeError', 'PayloadTooLargeError'];

export type WorkflowFunction = (...args: any[]) => unknown;

export interface ThreadTaskContext {
  engine: Engine;
  fn: WorkflowFunction;
  workerRetry?: RetryFields;
  /** What getHotMesh() answers. */
  hotMesh?: unknown;
  /** Called with the time (epoch ms, DB clock) at which a suspended thread becomes due. */
  onSuspended(runAtMs: number | null): void;
}

function toEntry(row: RawJournalRow): JournalEntry {
  const failed = row.status !== 'done';
  return {
    seq: row.seq,
    kind: row.kind,
    name: row.name,
    status: row.status,
    value: failed || row.undef ? undefined : row.result,
    error: failed ? (row.result as SerializedError) : undefined,
    attempt: row.attempt,
    batch: row.batch,
    dueAt: row.due === null ? null : Number(row.due),
  };
}

export async function runThreadTask(row: ClaimedRow, ctx: ThreadTaskContext): Promise<void> {
  const { engine } = ctx;
  const options = row.job_options ?? {};
  const config = options.config ?? {};
  const policy = resolveRetry(config, ctx.workerRetry);
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
  const task = { id: row.id, claims: row.claims, jobId: row.job_id, thread: row.thread };
  const fence = [task.id, task.claims, task.jobId, task.thread];
  const args = Array.isArray(row.args) ? row.args : [];
  const port = new ThreadPort(engine, task, info, Number(row.db_now), ctx.workerRetry, args);
  const run = new ThreadRun((row.journal ?? []).map(toEntry), port, { jobId: row.job_id, thread: row.thread });

  const publish = (events: Record<string, unknown>) => publishNow(engine, events);
  const execution = { info, run, publish, hotMesh: ctx.hotMesh };
  const invoke = withWorkflowInterceptors(execution, async () => ctx.fn(...args));
  const outcome = await run.run(() => runInExecution(execution, invoke));

  const finish = async (status: 'completed' | 'failed', output: string | null, error: SerializedError | null) => {
    await engine.query('finishThread', [...fence, status, output, error && JSON.stringify(error), options.expire ?? null, engine.channel]);
    if (row.thread === 'main') engine.localDone(row.job_id);
  };

  switch (outcome.type) {
    case 'completed': {
      let output: string | null;
      try {
        output = encodeJson('workflow result', outcome.value);
      } catch (err) {
        await finish('failed', null, { ...serializeError(err), code: ErrorCode.FATAL });
        return;
      }
      await finish('completed', output, null);
      return;
    }
    case 'failed': {
      const error = serializeError(outcome.error);
      // Bad input and bad data do not get better by running the same code again: fail at once.
      if (FATAL_KINDS.some((kind) => isHotMeshError(outcome.error, kind))) error.code = ErrorCode.FATAL;
      const count = outcome.progressed ? 1 : failures + 1;
      if (isTerminalCode(error.code)) {
        await finish('failed', null, error);
      } else if (count <= policy.maximumAttempts) {
        await engine.query('retryThread', [...fence, count, retryDelaySeconds(count, policy), JSON.stringify(error)]);
        ctx.onSuspended(port.now() + retryDelaySeconds(count, policy) * 1000);
      } else {
        await finish('failed', null, { ...error, code: ErrorCode.MAXED, type: 'MemFlowMaxedError' });
      }
      return;
    }
    case 'suspended': {
      const timers = outcome.timers.map((t) => ({ seq: t.seq, name: t.name, value: t.value ?? null, secs: t.remainingMs / 1000 }));
      const res = await engine.query<{ run_at: number }>('suspendThread', [
        task.id, task.claims, task.jobId, task.thread, JSON.stringify(timers), row.wakeups, outcome.nextDueAt,
      ]);
      const runAt = res.rows[0]?.run_at;
      ctx.onSuspended(runAt === undefined || !Number.isFinite(Number(runAt)) ? null : Number(runAt));
      return;
    }
    case 'nondeterminism': {
      const error = { ...serializeError(outcome.error), code: ErrorCode.NON_DETERMINISM };
      process.stderr.write(`hotmesh: ${outcome.error.message}\n`);
      await engine.query('parkThread', [...fence, JSON.stringify(error), engine.channel]);
      engine.localDone(row.job_id);
      return;
    }
    case 'aborted': {
      if (isHotMeshError(outcome.error, 'LeaseLostError')) return;
      // Infrastructure trouble (connection lost, Postgres restarting): give the task back for a retry soon.
      await engine.query('releaseTask', [task.id, task.claims, 1]).catch(() => {});
      return;
    }
  }
}
