/**
 * Errors about a job and the calls it makes: bad input, a job that is there twice or not at all, a
 * replay that met another call, a cancelled wait, a context op or payload the rules refuse, a lost
 * lease, a timed-out activity attempt, and a failed workflow as result() reports it.
 */
import { ErrorCode, HotMeshError, type StoredFailure } from './base.js';

/** Bad input, refused before any SQL runs. Names the field and the rule it broke. */
export class ValidationError extends HotMeshError {
  constructor(
    readonly field: string,
    readonly rule: string,
  ) {
    super(`Invalid ${field}: ${rule}`);
  }
  override get retryable(): boolean {
    return false;
  }
  override get details(): Record<string, unknown> {
    return { field: this.field, rule: this.rule };
  }
}

export class DuplicateJobError extends HotMeshError {
  constructor(readonly jobId: string) {
    super(`Duplicate job: ${jobId}`);
  }
  override get details(): Record<string, unknown> {
    return { jobId: this.jobId };
  }
}

export class JobNotFoundError extends HotMeshError {
  readonly code = ErrorCode.NOT_FOUND;
  constructor(readonly jobId: string) {
    super(`${jobId} Not Found`);
  }
}

/**
 * Upstream's name for the same error (memflow-api.md §6: `GetStateError`, 404, `'<id> Not Found'`):
 * one class under both names, so `instanceof Errors.GetStateError` holds for every not-found.
 */
export const GetStateError = JobNotFoundError;
export type GetStateError = JobNotFoundError;

/**
 * A signal from outside to a job none of whose threads is running or parked: it finished (and no
 * hook of it runs), so nothing could ever receive the signal. Start a hook first to receive it.
 */
export class JobFinishedError extends HotMeshError {
  constructor(
    readonly jobId: string,
    readonly signalId: string,
  ) {
    super(
      `Job ${jobId} has finished and none of its threads is running: nothing can receive signal '${signalId}'. ` +
        `A hook started on the job (handle.hook) receives the signals sent after it starts.`,
    );
  }
  override get details(): Record<string, unknown> {
    return { jobId: this.jobId, signalId: this.signalId };
  }
}

/** Replay met a different durable call than the journal recorded at the same position. */
export class NonDeterminismError extends HotMeshError {
  readonly code = ErrorCode.NON_DETERMINISM;
  constructor(
    readonly jobId: string,
    readonly thread: string,
    readonly seq: number,
    readonly recorded: string,
    readonly attempted: string,
  ) {
    super(
      `Non-deterministic replay of job '${jobId}' thread '${thread}' at seq ${seq}: ` +
        `the journal recorded ${recorded} but the code now calls ${attempted}. ` +
        `The job is parked; restore the previous code or guard the change with MemFlow.workflow.patched().`,
    );
  }
  override get details(): Record<string, unknown> {
    return { jobId: this.jobId, thread: this.thread, seq: this.seq, recorded: this.recorded, attempted: this.attempted };
  }
}

/**
 * `handle.cancel()` asked the job to stop: the workflow's current (or next) durable wait (an
 * activity, a sleep, a waitFor, a child) throws this once. The workflow may catch it and clean up
 * (its later durable calls run as usual); uncaught, the job ends `cancelled` (code 499).
 */
export class CancelledError extends HotMeshError {
  readonly code = ErrorCode.CANCELLED;
  constructor(
    readonly jobId: string,
    readonly reason: string | null = null,
  ) {
    super(`Workflow ${jobId} was cancelled${reason ? `: ${reason}` : ''}`);
  }
  override get retryable(): boolean {
    return false;
  }
  override get details(): Record<string, unknown> {
    return { jobId: this.jobId, reason: this.reason };
  }
}

/**
 * An operator's action does not apply to the job in the state it is in (resume a running job, retry
 * a completed one, cancel a finished one). Names the job, the action and the state.
 */
export class WorkflowStateError extends HotMeshError {
  constructor(
    readonly jobId: string,
    readonly action: string,
    readonly state: string,
    readonly expected: string,
    /** Where a catalog fixes the wording (interrupt: `Job <id> already completed`). */
    message?: string,
  ) {
    super(message ?? `Cannot ${action} workflow ${jobId}: it is ${state} (${action} applies to ${expected} workflows)`);
  }
  override get retryable(): boolean {
    return false;
  }
  override get details(): Record<string, unknown> {
    return { jobId: this.jobId, action: this.action, state: this.state, expected: this.expected };
  }
}

/** A context op met a value of the wrong type at its path (increment a string, append to an object, ...). */
export class ContextTypeError extends HotMeshError {
  constructor(
    readonly op: string,
    readonly path: string,
    readonly found: string,
  ) {
    super(`Context ${op} at '${path}' cannot apply to a ${found}`);
  }
  override get retryable(): boolean {
    return false;
  }
  override get details(): Record<string, unknown> {
    return { op: this.op, path: this.path, found: this.found };
  }
}

/**
 * A payload or a context grew past its documented cap. A ValidationError too (README, "Bad input":
 * payloads over 2 MiB are refused with one), with its own kind and message.
 */
export class PayloadTooLargeError extends ValidationError {
  constructor(
    field: string,
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(field, `is ${bytes} bytes, over the limit of ${limit} bytes`);
    this.message = `${field} is ${bytes} bytes, over the limit of ${limit} bytes`;
  }
  override get details(): Record<string, unknown> {
    return { field: this.field, bytes: this.bytes, limit: this.limit };
  }
}

/** The worker lost its lease on a task: another worker owns it now, so this one must stop writing. */
export class LeaseLostError extends HotMeshError {
  constructor(readonly taskId: string) {
    super(`Lease lost on task ${taskId}`);
  }
}

/** One activity attempt ran past its `startToCloseTimeout`: it counts as failed and is retried per policy. */
export class ActivityTimeoutError extends HotMeshError {
  constructor(
    readonly activityName: string,
    readonly timeoutMs: number,
  ) {
    super(`Activity '${activityName}' attempt ran past its startToCloseTimeout of ${timeoutMs} ms`);
  }
  override get details(): Record<string, unknown> {
    return { activityName: this.activityName, timeoutMs: this.timeoutMs };
  }
}

/**
 * Thrown by `MemFlow.workflow.continueAsNew(...args)`: the run ends here and the thread starts over
 * with `args` (see workflow/continue-as-new.ts). Not a failure: let it propagate.
 */
export class ContinueAsNew extends HotMeshError {
  constructor(readonly args: unknown[]) {
    super('continueAsNew: this run ends and the thread starts over with new arguments');
  }
}

/** `handle.result()` rejects with this when the workflow failed or was interrupted. */
export class WorkflowFailedError extends HotMeshError {
  readonly code: number;
  readonly job_id: string;
  readonly type?: string;
  /** `cause`: the error the job failed with, rebuilt (failure-codec.ts failureCause); default the stored failure. */
  constructor(jobId: string, failure: StoredFailure, cause: unknown = failure) {
    super(failure.message, { cause });
    this.code = failure.code ?? ErrorCode.RETRY;
    this.job_id = jobId;
    this.type = failure.type ?? failure.name;
    if (failure.stack) this.stack = failure.stack;
  }
}
