/**
 * The README facade: `MemFlow.init({ appId, engine: { connection } })`. A thin layer over Client and
 * Worker with the namespace defaulted to the appId, on a Runtime of its own: its activities,
 * interceptors and worker defaults are its own, and `mf.shutdown()` closes what it opened. With no
 * connection it runs on the embedded PGlite database.
 */
import { type LoopTuning, validateLoopTuning } from '../worker/task-loop-options.js';
import { processRuntime, Runtime, type ShutdownOptions } from '../runtime/runtime.js';
import type { ConnectionConfig } from '../storage/connection.js';
import type { Logger, LogLevel } from '../telemetry/logger.js';
import { validateAppId } from '../storage/sql-identifier.js';
import type { ActivityInterceptor, WorkflowInterceptor } from '../workflow/interceptors.js';
import { Client, type WorkflowOptions } from './client.js';
import type { WorkflowHandle } from './handle.js';
import type { JobContext, JobContextOptions } from './job-context.js';
import type { SignalOptions } from './send-signal.js';
import type { OutsideHookOptions } from './start-hook.js';
import { Worker, type WorkerConfig } from './worker.js';
import type { BulkResult, ListOptions, WorkflowFilter, WorkflowPage, WorkflowStatus } from '../manage/types.js';

export interface InitConfig {
  /** The app id: its own Postgres schema (`my-app` → `my_app`). Default 'memflow'. */
  appId?: string;
  /** Alias of appId. */
  namespace?: string;
  /** README form: `{ connection: { class: Postgres, options: { connectionString } } }`. */
  engine?: { connection?: ConnectionConfig };
  /** Flat form of the same. Omit both for the embedded database. */
  connection?: ConnectionConfig;
  /** Embedded data directory (default `HOTMESH_DATA_DIR`, else `./.hotmesh`). */
  dataDir?: string;
  /** Entries at this level and above are logged. Default 'warn' (stderr) or every entry (your logger). HOTMESH_LOG_LEVEL overrides. */
  logLevel?: LogLevel;
  /** Any pino-shaped logger (`debug/info/warn/error(obj, msg?)`). Default: one line per entry on stderr. */
  logger?: Logger;
  /**
   * Defaults for this instance's workers: `concurrency` (tasks run at once per app, default 64),
   * `leaseSeconds` (before a dead worker's tasks are taken over, default 30) and `shutdownGraceMs`
   * (at shutdown, how long runs in flight get to finish before they are stopped and their tasks given
   * back to be run at once by another process, default 5000). A worker's own `options` win when it
   * is the first of its app in this instance. `journalRetention` (`'30 days'`, or ms): compact the
   * journals of threads finished longer ago than that (README "Bounded growth"); default never.
   * `contextLogRetention` (`{ versions: N }` or `{ period: '30 days' }`): how much of each job's
   * context log is kept (README "Bounded growth"); default all of it.
   */
  worker?: LoopTuning;
}

export interface MemFlowInstance {
  readonly appId: string;
  readonly client: Client;
  readonly workflow: {
    start(options: WorkflowOptions): Promise<WorkflowHandle>;
    getHandle(taskQueue: string, workflowName: string, workflowId: string, namespace?: string): Promise<WorkflowHandle>;
    signal(signalId: string, data: unknown, namespace?: string, options?: SignalOptions): Promise<string>;
    hook(options: OutsideHookOptions): Promise<string>;
    context(workflowId: string, options?: JobContextOptions & { namespace?: string }): Promise<JobContext>;
    /** Upstream's search (`client.workflow.search`): SQL against the app's tables; namespace null or undefined: this app. */
    search(taskQueue: string, workflowName: string, namespace: string | null | undefined, index: string, ...query: unknown[]): Promise<any[]>;
    /** One page of this app's workflows, newest first: `{ items, nextCursor }` (see ListOptions). */
    list(options?: ListOptions): Promise<WorkflowPage>;
    /** How many of this app's workflows match `filter`, per status. */
    counts(filter?: WorkflowFilter): Promise<Record<WorkflowStatus, number>>;
    /** The app ids in this database. */
    apps(): Promise<string[]>;
    /** Cancel (gracefully), terminate or resume every job the filter selects: `{ matched, affected }`. */
    cancelMany(filter: WorkflowFilter, options?: { reason?: string }): Promise<BulkResult>;
    terminateMany(filter: WorkflowFilter, options?: { reason?: string }): Promise<BulkResult>;
    resumeMany(filter: WorkflowFilter): Promise<BulkResult>;
  };
  readonly worker: {
    create(config: Omit<WorkerConfig, 'connection' | 'namespace'> & Partial<WorkerConfig>): Promise<Worker>;
    registerActivityWorker(config: Partial<WorkerConfig>, activities: object, activityTaskQueue?: string): Promise<unknown>;
  };
  /** A workflow interceptor for this instance's workers only (outside them: the process-wide ones). */
  registerInterceptor(interceptor: WorkflowInterceptor): void;
  registerActivityInterceptor(interceptor: ActivityInterceptor): void;
  /** Clears this instance's workflow and activity interceptors. */
  clearInterceptors(): void;
  clearActivityInterceptors(): void;
  /**
   * Stop this instance's workers and close what it opened (drivers other instances use stay open).
   * Runs in flight get `graceMs` to finish (default: `worker.shutdownGraceMs`, 5000); the tasks of
   * runs still going then are given back at once. Returns at most about two seconds after the grace,
   * even with statements hung on dead connections.
   */
  shutdown(options?: ShutdownOptions): Promise<void>;
}

/**
 * Options with the app's namespace unless they name one. Anything but an object goes through as it
 * is, so the call refuses it by its own rule ("options must be an object") instead of a TypeError here.
 */
function inApp<T extends { namespace?: string }>(options: T, appId: string): T {
  if (options === null || typeof options !== 'object') return options;
  return { ...options, namespace: options.namespace ?? appId };
}

export async function init(config: InitConfig = {}): Promise<MemFlowInstance> {
  const appId = validateAppId(config.appId ?? config.namespace ?? 'memflow');
  validateLoopTuning('worker', config.worker);
  const connection = config.engine?.connection ?? config.connection;
  const runtime = new Runtime(
    {
      concurrency: config.worker?.concurrency,
      leaseSeconds: config.worker?.leaseSeconds,
      shutdownGraceMs: config.worker?.shutdownGraceMs,
      maxPollMs: config.worker?.maxPollMs,
      journalRetention: config.worker?.journalRetention,
      contextLogRetention: config.worker?.contextLogRetention,
      logger: config.logger,
      logLevel: config.logLevel,
    },
    processRuntime,
  );
  const client = new Client({ connection, dataDir: config.dataDir }, runtime, appId);
  /** A worker's config with the instance's connection and app where it leaves them out (or undefined). */
  const ofInstance = <C extends { connection?: unknown; dataDir?: string; namespace?: string }>(c: C): C =>
    c === null || typeof c !== 'object'
      ? c // Worker.create refuses it
      : { ...c, connection: c.connection ?? connection, dataDir: c.dataDir ?? config.dataDir, namespace: c.namespace ?? appId };
  try {
    await client.engine(appId); // provision the schema now, as the README promises
  } catch (err) {
    await runtime.shutdown();
    throw err;
  }
  return {
    appId,
    client,
    workflow: {
      start: (options) => client.workflow.start(inApp(options, appId)),
      getHandle: (taskQueue, workflowName, workflowId, namespace) =>
        client.workflow.getHandle(taskQueue, workflowName, workflowId, namespace ?? appId),
      signal: (signalId, data, namespace, options) => client.workflow.signal(signalId, data, namespace ?? appId, options),
      hook: (options) => client.workflow.hook(inApp(options, appId)),
      context: (workflowId, options = {}) => client.workflow.context(workflowId, inApp(options, appId)),
      search: (taskQueue, workflowName, namespace, index, ...query) =>
        client.workflow.search(taskQueue, workflowName, namespace ?? appId, index, ...query),
      // the client's namespace is appId (a filter's own `namespace` picks another app)
      list: (options) => client.workflow.list(options),
      counts: (filter) => client.workflow.counts(filter),
      apps: () => client.workflow.apps(appId),
      cancelMany: (filter, options) => client.workflow.cancelMany(filter, options),
      terminateMany: (filter, options) => client.workflow.terminateMany(filter, options),
      resumeMany: (filter) => client.workflow.resumeMany(filter),
    },
    worker: {
      create: (workerConfig) => Worker.create(ofInstance(workerConfig) as WorkerConfig, runtime),
      registerActivityWorker: (workerConfig, activities, activityTaskQueue) =>
        Worker.registerActivityWorker(ofInstance(workerConfig), activities, activityTaskQueue, runtime),
    },
    registerInterceptor: (interceptor) => runtime.registerInterceptor(interceptor),
    registerActivityInterceptor: (interceptor) => runtime.registerActivityInterceptor(interceptor),
    clearInterceptors: () => runtime.clearInterceptors(),
    clearActivityInterceptors: () => runtime.clearActivityInterceptors(),
    shutdown: (options) => runtime.shutdown(options),
  };
}
