/**
 * A handle on one job (upstream's WorkflowHandle): wait for its result, signal it, read its state.
 * A handle is only (app, workflowId); the task queue and workflow name it was made with are kept for
 * information. A handle made with a hook's name points at the same job.
 */
import type { Engine } from '../engine/engine.js';
import { ErrorCode, JobNotFoundError, type SerializedError, WorkflowFailedError } from '../errors.js';
import { encodeJson } from '../json-value.js';
import { validateId } from '../validation.js';
import type { HookOptions } from '../workflow/hooks.js';
import { startHookOutside } from './start-hook.js';
import { JobContext, type JobContextOptions } from './job-context.js';

export interface ResultOptions {
  /** false: resolve with the failure object instead of rejecting. Default true. */
  throwOnError?: boolean;
  /** Accepted for compatibility: the stored state is always checked first. */
  state?: boolean;
}

interface StatusRow {
  status: string;
  output: unknown;
  output_undefined: boolean;
  error: SerializedError | null;
}

const POLL_MS = 2000;

export class WorkflowHandle {
  constructor(
    private readonly engine: Engine,
    readonly workflowId: string,
    readonly workflowTopic: string,
  ) {}

  /** The app's engine (upstream exposes `handle.hotMesh.appId`). */
  get hotMesh(): { appId: string; namespace: string } {
    return { appId: this.engine.appId, namespace: this.engine.appId };
  }

  private async readStatus(): Promise<StatusRow | undefined> {
    const res = await this.engine.query<StatusRow>('readJobStatus', [this.workflowId]);
    return res.rows[0];
  }

  /**
   * The workflow's return value, waiting for it if needed (NOTIFY, with polling as the fallback).
   * Rejects with a WorkflowFailedError (`message`, `code`, `stack`, `job_id`, `cause`) if the
   * workflow failed, was interrupted or was parked, and with JobNotFoundError if there is no such job.
   */
  async result<T = any>(options: ResultOptions = {}): Promise<T> {
    let wake: () => void = () => {};
    const off = this.engine.onDone(this.workflowId, () => wake());
    try {
      for (;;) {
        const notified = new Promise<void>((resolve) => (wake = resolve));
        const row = await this.readStatus();
        if (!row) throw new JobNotFoundError(this.workflowId);
        if (row.status === 'completed') return (row.output_undefined ? undefined : row.output) as T;
        if (row.status !== 'running') {
          const failure: SerializedError = row.error ?? { message: `job [${this.workflowId}] ${row.status}`, code: ErrorCode.INTERRUPT };
          const error = new WorkflowFailedError(this.workflowId, failure);
          if (options.throwOnError === false) return error as T;
          throw error;
        }
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([notified, new Promise((r) => (timer = setTimeout(r, POLL_MS)))]);
        clearTimeout(timer);
      }
    } finally {
      off();
    }
  }

  /** Send a signal to this job: its oldest waiter on `signalId` gets it, or it is kept until one waits. */
  async signal(signalId: string, data: unknown): Promise<void> {
    validateId('signalId', signalId);
    const json = encodeJson('signal data', data) ?? 'null';
    await this.engine.query('deliverSignal', [this.workflowId, signalId, json]);
  }

  /** This job's context, from outside: read it and change it atomically, even after the workflow finished. */
  context(options: JobContextOptions = {}): JobContext {
    return new JobContext(this.engine, this.workflowId, options);
  }

  /** Run a hook function against this job. Returns the hook's thread id. */
  hook(options: Omit<HookOptions, 'workflowId' | 'namespace'>): Promise<string> {
    return startHookOutside(this.engine, { ...options, workflowId: this.workflowId });
  }

  /** Upstream's semaphore: 0 = complete, > 0 = running, negative = interrupted. */
  async status(): Promise<number> {
    const row = await this.readStatus();
    if (!row) throw new JobNotFoundError(this.workflowId);
    if (row.status === 'running' || row.status === 'parked') return 1;
    if (row.status === 'interrupted') return -1_000_000_000;
    return 0;
  }
}
