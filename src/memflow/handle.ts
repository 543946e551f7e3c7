/**
 * A handle on one job (upstream's WorkflowHandle): wait for its result, signal it, read its state.
 * A handle is only (app, workflowId); the task queue and workflow name it was made with are kept for
 * information. A handle made with a hook's name points at the same job.
 */
import { HotMeshEngine } from '../compat/hotmesh-engine.js';
import type { Engine } from '../engine/engine.js';
import type { FinishWatch } from '../engine/finish-notices.js';
import { JobNotFoundError, ValidationError } from '../errors.js';
import { validateFlag } from '../validation.js';
import type { InterruptOptions } from '../replay/durable-call.js';
import * as jobs from '../sql/queries/jobs.js';
import * as journal from '../sql/queries/journal.js';
import { interruptJob } from './interrupt-job.js';
import { describeWorkflow } from '../manage/describe.js';
import { cancelWorkflow } from '../manage/cancel.js';
import { type ForkOptions, forkWorkflow } from '../manage/fork.js';
import { resumeWorkflow } from '../manage/resume.js';
import { retryWorkflow } from '../manage/retry.js';
import { terminateWorkflow } from '../manage/terminate.js';
import { workflowTopic } from '../topics.js';
import { readHistory, readWorkflowHistory } from '../manage/history.js';
import type { HistoryEntry, WorkflowDescription, WorkflowExport } from '../manage/types.js';
import { JobContext, type JobContextOptions } from './job-context.js';
import { readFields, userFields } from './search-fields.js';
import { type SignalOptions, signalJob } from './send-signal.js';
import { type ResultOptions, waitForResult } from './result-waiter.js';
import { type HookStarted, type OutsideHookOptions, startHookOutside } from './start-hook.js';

export type { ResultOptions } from './result-waiter.js';

/**
 * Upstream's status semaphore: 0 = complete, > 0 = running, negative = interrupted (handle.status(),
 * state(true)'s metadata.js, export().status and Entity.find*'s rows).
 */
export function semaphore(status: string): number {
  if (status === 'running' || status === 'parked') return 1;
  if (status === 'interrupted' || status === 'cancelled') return -1_000_000_000;
  return 0;
}

export class WorkflowHandle {
  constructor(
    private readonly engine: Engine,
    readonly workflowId: string,
    readonly workflowTopic: string,
    /** Set by start() in this process: the job's finish message, watched from before it existed. */
    private watch?: FinishWatch,
    /** Told of the hooks this handle starts (the client's runtime warns when their topic is not served). */
    private readonly hookStarted?: HookStarted,
  ) {}

  /** The app's engine (upstream exposes `handle.hotMesh.appId` and `handle.hotMesh.interrupt(...)`). */
  get hotMesh(): HotMeshEngine {
    return new HotMeshEngine(this.engine);
  }

  private async readStatus() {
    const res = await this.engine.query(jobs.readJobStatus, { jobId: this.workflowId });
    return res.rows[0];
  }

  /**
   * The workflow's return value, waiting for it if needed (NOTIFY, with polling as the fallback).
   * Rejects with a WorkflowFailedError (`message`, `code`, `stack`, `job_id`, `cause`) if the
   * workflow failed, was interrupted or was parked, and with JobNotFoundError if there is no such job.
   */
  async result<T = any>(options: ResultOptions = {}): Promise<T> {
    if (options === null || typeof options !== 'object') throw new ValidationError('result options', 'must be an object');
    validateFlag('throwOnError', options.throwOnError);
    const watch = this.watch;
    this.watch = undefined; // used once: a later call reads the row
    return waitForResult<T>(this.engine, this.workflowId, options, watch);
  }

  /**
   * Send a signal to this job: its newest waiter on `signalId` gets it, or it is kept until one waits.
   * Rejects with JobNotFoundError if there is no such job, and with JobFinishedError if no thread of
   * the job is running or parked (a hook running on a finished job still receives its signals). See
   * SignalOptions for `signalKey` (idempotency) and `expire`.
   */
  async signal(signalId: string, data: unknown, options?: SignalOptions): Promise<void> {
    await signalJob(this.engine, this.workflowId, signalId, data, options);
  }

  /** This job's context, from outside: read it and change it atomically, even after the workflow finished. */
  context(options: JobContextOptions = {}): JobContext {
    return new JobContext(this.engine, this.workflowId, options);
  }

  /** Run a hook function against this job. Returns the hook's thread id. */
  hook(options: Omit<OutsideHookOptions, 'workflowId' | 'namespace'>): Promise<string> {
    return startHookOutside(this.engine, { ...options, workflowId: this.workflowId }, this.hookStarted);
  }

  /** End the job now (see InterruptOptions); descendants too with `descend`. */
  interrupt(options?: InterruptOptions): Promise<string> {
    return interruptJob(this.engine, this.workflowId, options);
  }

  /**
   * The job as `list` shows it, plus its attempt, error, what it waits for (timers, signals, children,
   * remote activities, topics no worker serves), context version, children, hooks and step count.
   * Rejects with JobNotFoundError if there is no such job.
   */
  describe(): Promise<WorkflowDescription> {
    return describeWorkflow(this.engine, this.workflowId);
  }

  /**
   * The journal as plain JSON: one HistoryEntry per durable call recorded, the main thread first
   * (then hooks by thread id), by seq. Rejects with JobNotFoundError if there is no such job.
   */
  history(): Promise<HistoryEntry[]> {
    return readHistory(this.engine, this.workflowId);
  }

  /**
   * Ask the job to stop gracefully: the workflow's current or next durable wait (an activity, a
   * sleep, a waitFor, a child) throws a CancelledError, which it may catch to clean up (durable calls
   * included). Uncaught, the job ends `cancelled` and `result()` rejects with a WorkflowFailedError of
   * code 499 (ErrorCode.CANCELLED). Only a running (or waiting) job can be cancelled: others get a
   * WorkflowStateError naming their state.
   */
  cancel(options?: { reason?: string }): Promise<void> {
    return cancelWorkflow(this.engine, this.workflowId, options);
  }

  /**
   * End the job now: no more of its code runs (`interrupt()` with a typed error for a job that already
   * ended). `result()` rejects with a WorkflowFailedError of code 410 whose message is the reason.
   */
  terminate(options?: { reason?: string }): Promise<void> {
    return terminateWorkflow(this.engine, this.workflowId, options);
  }

  /** Replay a parked job with the code the workers run now (it parks again if it still diverges). */
  resume(): Promise<void> {
    this.watch = undefined; // what the start's watch heard (the park) is no longer the outcome
    return resumeWorkflow(this.engine, this.workflowId);
  }

  /** Run a failed job again from its failed call; the steps before it are replayed, not run again. */
  retry(): Promise<void> {
    this.watch = undefined; // what the start's watch heard (the failure) is no longer the outcome
    return retryWorkflow(this.engine, this.workflowId);
  }

  /**
   * A new job from this one's journal up to seq `fromSeq` (default: every delivered call before the
   * first that failed), with the context as it was at that point; this job is not touched. Returns
   * the new job's handle.
   */
  async fork(options?: ForkOptions): Promise<WorkflowHandle> {
    const forked = await forkWorkflow(this.engine, this.workflowId, options);
    return new WorkflowHandle(this.engine, forked.workflowId, workflowTopic(forked.taskQueue, forked.workflowName), undefined, this.hookStarted);
  }

  /**
   * The job's state: `{ done, response, $error?, jc, ju }`, or `{ metadata, data }` with `metadata`
   * true (`metadata.js` is the status semaphore).
   */
  async state(metadata = false): Promise<Record<string, any>> {
    const res = await this.engine.query(jobs.readJob, { jobId: this.workflowId });
    const row = res.rows[0];
    if (!row) throw new JobNotFoundError(this.workflowId);
    const data: Record<string, unknown> = {
      done: row.status !== 'running',
      response: row.output_undefined ? undefined : row.output,
      jc: row.created_at,
      ju: row.updated_at,
    };
    if (row.error) data.$error = row.error;
    if (!metadata) return data;
    return { metadata: { jid: row.id, js: semaphore(row.status), tpc: `${row.task_queue}-${row.workflow_name}`, jc: row.created_at, ju: row.updated_at }, data };
  }

  /** Raw search fields (user fields carry their `_` prefix). */
  async queryState(fields: string[]): Promise<Record<string, string>> {
    if (!Array.isArray(fields) || fields.some((f) => typeof f !== 'string')) throw new ValidationError('fields', 'must be an array of field names (strings)');
    const all = await readFields(this.engine, this.workflowId);
    return Object.fromEntries(fields.filter((f) => f in all).map((f) => [f, all[f]!]));
  }

  /**
   * An export of the job: `data` (search fields, `_` removed), `state`, `status` (semaphore) and
   * `timeline` (the journal; values left out with `values: false`) and `history` (a WorkflowHistory:
   * what `MemFlow.testing.replay` takes). `allow` / `block` pick parts.
   */
  async export(options: { allow?: string[]; block?: string[]; values?: boolean } = {}): Promise<WorkflowExport> {
    const parts = ['data', 'state', 'status', 'timeline', 'transitions', 'history'].filter(
      (p) => (!options.allow || options.allow.includes(p)) && !options.block?.includes(p),
    );
    const out: WorkflowExport = {};
    if (parts.includes('data')) out.data = userFields(await readFields(this.engine, this.workflowId));
    if (parts.includes('state')) out.state = { data: await this.state() };
    if (parts.includes('status')) out.status = await this.status();
    if (parts.includes('timeline')) {
      const rows = await this.engine.query(journal.readTimeline, { jobId: this.workflowId });
      out.timeline = rows.rows.map((r) => ({ ...r, result: options.values === false ? undefined : r.result }));
    }
    if (parts.includes('transitions')) out.transitions = [];
    if (parts.includes('history')) out.history = await readWorkflowHistory(this.engine, this.workflowId);
    return out;
  }

  /** Upstream's semaphore: 0 = complete, > 0 = running, negative = interrupted. */
  async status(): Promise<number> {
    const row = await this.readStatus();
    if (!row) throw new JobNotFoundError(this.workflowId);
    return semaphore(row.status);
  }
}
