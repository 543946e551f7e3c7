/**
 * One error hierarchy for the whole engine.
 *
 * - Local errors (bad input, a locked data directory, a job that is not there) are thrown to the caller.
 * - Persisted failures (an activity or workflow that failed) travel through the journal as
 *   {@link SerializedError} and come back as the MemFlow classes with their upstream codes.
 * - Suspension is not an error at all here: a durable call that has to wait simply never settles in
 *   the current run, so user code never has to catch-and-rethrow engine control flow.
 *
 * Check kinds with {@link isHotMeshError} or the `kind` field rather than bare `instanceof`, which breaks
 * when two copies of the package are loaded.
 */

const BRAND = Symbol.for('hotmesh.error');

/** Upstream numeric codes, kept for users migrating from the established API. */
export const ErrorCode = {
  SLEEP: 588,
  WAIT_FOR_ALL: 589,
  CHILD: 590,
  PROXY: 591,
  NON_DETERMINISM: 593,
  WAIT_FOR: 595,
  TIMEOUT: 596,
  MAXED: 597,
  FATAL: 598,
  RETRY: 599,
  NOT_FOUND: 404,
  INTERRUPT: 410,
  /**
   * `handle.cancel()`: the workflow's durable wait threw a CancelledError, and the workflow did not
   * catch it (the job ends `cancelled`; `result()` rejects with a WorkflowFailedError of this code).
   */
  CANCELLED: 499,
} as const;

export class HotMeshError extends Error {
  readonly [BRAND] = true;
  /** Stable machine-readable kind, equal to the class name. */
  readonly kind: string;
  /** false: running the same code again cannot succeed (bad input or bad data). */
  get retryable(): boolean {
    return true;
  }
  /** The fields the error is rebuilt from when a stored failure is revived (see reviveFailure). */
  get details(): Record<string, unknown> | undefined {
    return undefined;
  }
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.kind = new.target.name;
    this.name = new.target.name;
  }
}

export function isHotMeshError(err: unknown, kind?: string): err is HotMeshError {
  const branded = typeof err === 'object' && err !== null && (err as Record<symbol, unknown>)[BRAND] === true;
  return branded && (kind === undefined || (err as HotMeshError).kind === kind);
}

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
  ) {
    super(`Cannot ${action} workflow ${jobId}: it is ${state} (${action} applies to ${expected} workflows)`);
  }
  override get retryable(): boolean {
    return false;
  }
  override get details(): Record<string, unknown> {
    return { jobId: this.jobId, action: this.action, state: this.state, expected: this.expected };
  }
}

/** The database could not be reached: names where the setting came from, what was tried, and what to check. */
export class ConnectionError extends HotMeshError {
  constructor(
    readonly source: string,
    readonly where: string,
    cause: unknown,
  ) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(
      `Cannot connect to PostgreSQL at ${where} (from ${source === 'connection' ? 'the connection option' : source}): ${reason}. ` +
        `Check that the server runs and accepts connections there, and the host, port, user, password and database` +
        `${source === 'DATABASE_URL' ? ' in DATABASE_URL (unset it to use the embedded database)' : ''}.`,
      { cause },
    );
  }
}

/** A second process tried to open an embedded data directory that a live process holds. */
export class DataDirLockedError extends HotMeshError {
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(
      pid === process.pid
        ? `The embedded database at ${dataDir} is already open in this process (${pid}), under this or another path, ` +
            `and was not closed in time. Open it once per process (one MemFlow connection per data directory).`
        : `The embedded database at ${dataDir} is in use by process ${pid}. ` +
            `PGlite serves one process only: point every process at PostgreSQL (DATABASE_URL) to run several.`,
    );
  }
}

/**
 * A management command named an app the database does not have (a typo in `--app`, or a database no
 * process has provisioned it on). Reading commands refuse rather than create an empty app.
 */
export class AppNotFoundError extends HotMeshError {
  readonly code = ErrorCode.NOT_FOUND;
  constructor(
    readonly appId: string,
    readonly knownApps: readonly string[],
  ) {
    super(
      `No app '${appId}' in this database (` +
        (knownApps.length === 0
          ? 'it has no apps yet'
          : `its apps: ${knownApps.slice(0, 10).join(', ')}${knownApps.length > 10 ? ` and ${knownApps.length - 10} more` : ''}`) +
        `). Start a worker or run \`hotmesh migrate --app ${appId}\` to create it.`,
    );
  }
}

/**
 * The app's schema is older than this build's migrations, and the caller does not migrate (the
 * `hotmesh` CLI changes a schema only in `hotmesh migrate`, never as a side effect of reading it).
 */
export class AppMigrationsPendingError extends HotMeshError {
  constructor(
    readonly appId: string,
    readonly pending: readonly string[],
  ) {
    super(
      `App '${appId}' has ${pending.length} migration(s) this build ships and its schema lacks (${pending.join(', ')}). ` +
        `Run \`hotmesh migrate --app ${appId}\` (or start a worker of this version) to apply them.`,
    );
  }
}

/** The appId maps to a schema another app already owns. */
export class AppSchemaConflictError extends HotMeshError {
  constructor(
    readonly appId: string,
    readonly schema: string,
    readonly ownerAppId: string,
  ) {
    super(`appId '${appId}' maps to schema '${schema}', which belongs to appId '${ownerAppId}'`);
  }
}

/**
 * An applied migration's text differs from the text this build ships (it was edited after it ran):
 * the app's schema is not what the code expects, so the app does not start.
 */
export class MigrationChecksumError extends HotMeshError {
  constructor(
    readonly appId: string,
    readonly schema: string,
    readonly version: number,
    readonly migration: string,
    readonly recordedChecksum: string,
    readonly shippedChecksum: string,
  ) {
    const file = `${String(version).padStart(4, '0')}_${migration}.sql`;
    super(
      `App '${appId}' (schema ${schema}) cannot start: migration ${file} was applied with a different text ` +
        `(recorded checksum ${recordedChecksum.slice(0, 12)}…, this build ships ${shippedChecksum.slice(0, 12)}…). ` +
        `Applied migrations are append-only: restore ${file} as it was released and put the change in a new numbered migration. ` +
        `If the edit is known to be harmless (a comment), record the new checksum in hotmesh_registry.migrations.`,
    );
  }
  override get retryable(): boolean {
    return false;
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

/** A payload or a context grew past its documented cap. */
export class PayloadTooLargeError extends HotMeshError {
  constructor(
    readonly field: string,
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(`${field} is ${bytes} bytes, over the limit of ${limit} bytes`);
  }
  override get retryable(): boolean {
    return false;
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

/**
 * What a failure looks like when stored (a journal row's result, `jobs.error`): enough to revive it
 * as the right error class in any process (see failure-codec.ts). Rows written by SQL (an interrupt)
 * or by older versions may lack fields, so readers treat every field but `message` as optional.
 */
export interface StoredFailure {
  message: string;
  /** The class of what was thrown: a HotMesh kind ('ContextTypeError') or the JS name ('TypeError'). */
  type?: string;
  /** Upstream numeric code: 596 timeout, 597 maxed, 598 fatal, 599 retryable (the default), ... */
  code?: number;
  stack?: string;
  /** false: running the same code again cannot succeed (bad input or data, or a terminal code). */
  retryable?: boolean;
  /** The fields a typed engine error is rebuilt from (a ContextTypeError's op, path and found, ...). */
  details?: Record<string, unknown>;
  /** The thrown error's `name` (upstream tools read it). */
  name?: string;
  timestamp?: string;
}

/** The earlier name of StoredFailure. */
export type SerializedError = StoredFailure;

/** `handle.result()` rejects with this when the workflow failed or was interrupted. */
/**
 * Thrown by `MemFlow.workflow.continueAsNew(...args)`: the run ends here and the thread starts over
 * with `args` (see workflow/continue-as-new.ts). Not a failure: let it propagate.
 */
export class ContinueAsNew extends HotMeshError {
  constructor(readonly args: unknown[]) {
    super('continueAsNew: this run ends and the thread starts over with new arguments');
  }
}

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

// ---- MemFlow classes (established API). Terminal ones carry a `type` equal to their class name. ----

abstract class MemFlowError extends HotMeshError {
  abstract readonly code: number;
}

function terminal(code: number) {
  return class extends MemFlowError {
    readonly code = code;
    readonly type: string;
    constructor(message: string, stack?: string) {
      super(message);
      this.type = new.target.name;
      if (stack) this.stack = stack;
    }
  };
}

/** Do not retry: thrown by user code, or raised when an activity failed for good. */
export class MemFlowFatalError extends terminal(ErrorCode.FATAL) {}
/** Retries exhausted. */
export class MemFlowMaxedError extends terminal(ErrorCode.MAXED) {}
/** Thrown by user code to fail at once with a timeout code; the engine never raises it itself. */
export class MemFlowTimeoutError extends terminal(ErrorCode.TIMEOUT) {}

/**
 * `waitFor(signalId, { timeout })` ran out of time before the signal came (code 596: uncaught, it
 * fails the workflow at once). The waiter is retired with it: a later signal is kept for the next wait.
 */
export class WaitTimeoutError extends MemFlowTimeoutError {
  constructor(
    readonly signalId: string,
    readonly timeoutMs: number,
  ) {
    super(`waitFor('${signalId}') timed out after ${timeoutMs} ms`);
  }
  override get details(): Record<string, unknown> {
    return { signalId: this.signalId, timeoutMs: this.timeoutMs };
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
/** The default, retryable failure. */
export class MemFlowRetryError extends terminal(ErrorCode.RETRY) {}

function control(code: number) {
  return class extends MemFlowError {
    readonly code = code;
    /**
     * A message, or (as upstream builds them) the suspension's fields, kept as own fields: a waitFor's
     * `{ signalId, index, workflowDimension }` (catalog §6). A field named as one of the error's own
     * (code, name, message) is not taken.
     */
    constructor(details: string | Record<string, unknown> = 'MemFlow suspension') {
      super(typeof details === 'string' ? details : 'MemFlow suspension');
      if (typeof details === 'object' && details !== null) {
        for (const [key, value] of Object.entries(details)) {
          if (!(key in this)) Object.defineProperty(this, key, { value, enumerable: true, writable: true, configurable: true });
        }
      }
    }
  };
}

/** Kept for API compatibility: this engine suspends without throwing, so users never see these. */
export class MemFlowSleepError extends control(ErrorCode.SLEEP) {}
export class MemFlowWaitForAllError extends control(ErrorCode.WAIT_FOR_ALL) {}
export class MemFlowChildError extends control(ErrorCode.CHILD) {}
export class MemFlowProxyError extends control(ErrorCode.PROXY) {}
export class MemFlowWaitForError extends control(ErrorCode.WAIT_FOR) {
  declare readonly signalId?: string;
  declare readonly index?: number;
  declare readonly workflowDimension?: string;
}

const MEMFLOW_KINDS: readonly string[] = [
  'MemFlowFatalError',
  'MemFlowMaxedError',
  'MemFlowTimeoutError',
  'MemFlowRetryError',
  'MemFlowSleepError',
  'MemFlowWaitForAllError',
  'MemFlowChildError',
  'MemFlowProxyError',
  'MemFlowWaitForError',
];

/** True for the nine MemFlow classes (terminal ones included), as upstream's `didInterrupt`. */
export function didInterrupt(err: unknown): boolean {
  return isHotMeshError(err) && MEMFLOW_KINDS.includes(err.kind);
}
