/**
 * The client (established form): `new MemFlow.Client({ connection })` opens nothing until first use;
 * `client.workflow.start(...)` creates the job (one round trip) and returns a handle at once. A
 * workflow may be started before any worker exists; it waits until one serves its topic.
 */
import { HotMeshEngine } from '../compat/hotmesh-engine.js';
import type { Engine } from '../engine/engine.js';
import { ValidationError } from '../errors.js';
import { processRuntime, type Runtime } from '../runtime/runtime.js';
import { type ConnectionConfig, type DriverTarget, resolveTarget } from '../storage/connection.js';
import { type Logger, type LogLevel, runtimeLogger } from '../telemetry/logger.js';
import { workflowTopic } from '../topics.js';
import { schemaForApp } from '../storage/sql-identifier.js';
import { validateId, validateOptions } from '../validation.js';
import { WorkflowHandle } from './handle.js';
import { JobContext, type JobContextOptions } from './job-context.js';
import { prepareSignal, type SignalOptions, signalApp } from './send-signal.js';
import { type HookStarted, type OutsideHookOptions, prepareHookOutside, startHookOutside } from './start-hook.js';
import { prepareStart, startJob, startPendingJob, type WorkflowOptions } from './start-job.js';
import { countWorkflows, listApps, listParams, listWorkflows } from '../manage/list.js';
import { filterParams } from '../manage/filter.js';
import { prepareBulk } from '../manage/bulk.js';
import type { BulkResult, ListOptions, WorkflowFilter, WorkflowPage, WorkflowStatus } from '../manage/types.js';

export type { WorkflowOptions } from './start-job.js';

export const DEFAULT_NAMESPACE = 'memflow';

/**
 * A filter's `namespace` taken out of it: the filter the SQL sees, and the app to run it in (the
 * filter's, else the method's `namespace` argument). Both given and different: a ValidationError.
 */
function scopedFilter<F extends WorkflowFilter>(given: F, positional: string | undefined): [F, string | undefined] {
  if (given === null || typeof given !== 'object' || Array.isArray(given) || !('namespace' in given)) return [given, positional];
  const { namespace, ...filter } = given;
  if (namespace === undefined) return [filter as F, positional];
  schemaForApp(validateId('namespace', namespace));
  if (positional !== undefined && positional !== namespace) {
    throw new ValidationError('namespace', `the filter names '${namespace}' but the call's namespace argument is '${positional}'`);
  }
  return [filter as F, namespace];
}

export interface ClientConfig {
  /** Where the data lives. Omit it for the embedded PGlite database. */
  connection?: ConnectionConfig;
  /** Embedded data directory (default `HOTMESH_DATA_DIR`, else `./.hotmesh`). */
  dataDir?: string;
  /**
   * A pino-shaped logger and level. What this client's own calls warn about (a start on a topic no
   * worker serves, an unsupported start option) goes to it. It is also the established form's
   * process-wide one (the engine's and workers' entries): the last client or worker that passes one
   * sets that. See MemFlow.init's `logger` / `logLevel`.
   */
  logger?: Logger;
  logLevel?: LogLevel;
}

export class Client {
  private readonly target: DriverTarget;

  private readonly runtime: Runtime;
  /** This client's own logger, when its config names one (else: its runtime's, whoever set it). */
  private readonly ownLogger: Logger | undefined;
  /** A hook started through this client or its handles: warned of, as a start is, when its topic is not served. */
  private readonly hookStarted: HookStarted = (engine, topic, jobId, route) => this.runtime.unserved.notice(engine, topic, jobId, this.ownLogger, route);

  /**
   * `runtime` and `defaultNamespace` are internal: `MemFlow.init` passes its own runtime, so
   * `mf.shutdown()` closes only what it opened, and its appId, so `mf.client` works on the app's
   * jobs when a call names no namespace, as `mf.workflow` does.
   */
  constructor(
    config: ClientConfig = {},
    runtime?: Runtime,
    private readonly defaultNamespace = DEFAULT_NAMESPACE,
  ) {
    this.target = resolveTarget(config.connection, config.dataDir);
    this.runtime = runtime ?? processRuntime;
    if (!runtime && (config.logger || config.logLevel)) {
      processRuntime.setLogger(config);
      // a Worker created later in this process sets the process-wide logger again: this client's
      // warnings stay this client's (a black-box pass found them going to the worker's logger)
      this.ownLogger = runtimeLogger(config);
    }
  }

  private get logger(): Logger {
    return this.ownLogger ?? this.runtime.logger;
  }

  /** The engine of one app (opened, and migrated, on first use). */
  engine(namespace?: string): Promise<Engine> {
    return this.runtime.engine(this.target, namespace ?? this.defaultNamespace);
  }

  /** The engine of one app if it is open already (a start takes it with no await), else undefined. */
  private openedEngine(namespace?: string): Engine | undefined {
    return this.runtime.openedEngine(this.target, namespace ?? this.defaultNamespace);
  }

  /**
   * Upstream's control plane: provision the app (schema and migrations). Refuses a version that is
   * not numeric, as upstream does.
   */
  async deployAndActivate(namespace = this.defaultNamespace, version = '1'): Promise<void> {
    if (!/^\d+(\.\d+)*$/.test(String(version))) throw new ValidationError('version', 'Invalid version number');
    await this.engine(namespace);
  }

  /** Stops every worker and client engine of this process (upstream's static Client.shutdown). */
  static async shutdown(): Promise<void> {
    await processRuntime.shutdownAll();
  }

  /**
   * The engine of a namespace a read named: the client's own namespace opens (and provisions) as
   * engine() does; another must exist already (an AppNotFoundError, rather than an app made by a typo).
   */
  private namedEngine(namespace: string | undefined): Promise<Engine> {
    if (namespace === undefined || namespace === this.defaultNamespace) return this.engine();
    return this.runtime.existingEngine(this.target, namespace);
  }

  /** Upstream's engine handle for a namespace (used with `MemFlow.Search.findAllUserData`). */
  async getHotMeshClient(_taskQueue?: string, namespace?: string): Promise<HotMeshEngine> {
    return new HotMeshEngine(await this.engine(namespace));
  }

  readonly workflow = {
    start: async (options: WorkflowOptions): Promise<WorkflowHandle> => {
      const prepared = prepareStart(options); // refuse bad input before opening anything
      const engine = this.openedEngine(options.namespace) ?? (await this.engine(options.namespace));
      const job = prepared.pending === undefined ? await startJob(engine, prepared) : await startPendingJob(engine, prepared, prepared.pending);
      this.runtime.unserved.notice(engine, job.topic, job.workflowId, this.ownLogger, { taskQueue: prepared.taskQueue, workflowName: prepared.workflowName });
      return new WorkflowHandle(engine, job.workflowId, job.topic, job.watch, this.hookStarted);
    },

    getHandle: async (taskQueue: string, workflowName: string, workflowId: string, namespace?: string): Promise<WorkflowHandle> => {
      validateId('workflowId', workflowId);
      // another app named here must exist (a typo was created, schema and all, by a read)
      const engine = await this.namedEngine(namespace);
      return new WorkflowHandle(engine, workflowId, workflowTopic(taskQueue, workflowName), undefined, this.hookStarted);
    },

    /**
     * Start a hook: run `workflowName` (served by a worker of `taskQueue`) against an existing job,
     * running, waiting or finished. Returns the hook's thread id.
     */
    hook: async (options: OutsideHookOptions): Promise<string> => {
      // Fix: validate before opening the engine (it used to open, and migrate, the app first).
      prepareHookOutside(options);
      const engine = await this.namedEngine(options?.namespace);
      return startHookOutside(engine, options, this.hookStarted);
    },

    /** The job's context, from outside: read it and change it atomically (see JobContext). */
    context: async (workflowId: string, given: JobContextOptions & { namespace?: string } = {}): Promise<JobContext> => {
      validateId('workflowId', workflowId);
      const { namespace, ...options } = validateOptions<JobContextOptions & { namespace?: string }>('context options', given, ['tx', 'actor', 'namespace']);
      schemaForApp(namespace ?? this.defaultNamespace); // a bad namespace is refused here, before I/O
      const opened = this.openedEngine(namespace);
      if (opened) return new JobContext(opened, workflowId, options);
      this.runtime.assertOpen(namespace ?? this.defaultNamespace); // after shutdown(): a ShutdownError
      // Not awaited: each op checks its own input (paths, values) before it waits for the engine, so
      // bad input is a ValidationError before any SQL even when the database cannot be reached (the
      // handle used to open the engine first, and a bad path got the ConnectionError). Opening starts
      // now; its failure reaches the first op.
      // A getter, not the opening itself: an opening that failed is forgotten by the runtime, and the
      // handle's next op opens again (a held rejected promise failed every later op for good).
      const open = () => this.namedEngine(namespace);
      open().catch(() => {});
      return new JobContext(open, workflowId, options);
    },

    /**
     * Upstream's search: `query[0]` is SQL against the app's tables (e.g. `<schema>.jobs_attributes`),
     * the rest are its `$n` parameters. The index argument is ignored on PostgreSQL.
     */
    search: async (_taskQueue: string, _workflowName: string, namespace: string | null, _index: string, ...query: unknown[]): Promise<any[]> => {
      const [sql, ...params] = query;
      if (typeof sql !== 'string') throw new ValidationError('search query', 'must start with a SQL string');
      const engine = await this.namedEngine(namespace ?? undefined);
      return (await engine.driver.query(sql, params)).rows;
    },

    /**
     * One page of the app's workflows, newest first (see ListOptions): `{ items, nextCursor }`; pass
     * `nextCursor` as `cursor` for the next page. Bad options get a ValidationError before any SQL.
     */
    list: async (given: ListOptions = {}, positional?: string): Promise<WorkflowPage> => {
      const [options, namespace] = scopedFilter(given, positional);
      listParams(options); // refuse bad input before opening anything
      return listWorkflows(await this.namedEngine(namespace), options);
    },

    /** How many of the app's workflows match `filter`, for every status (0 where none). */
    counts: async (given: WorkflowFilter = {}, positional?: string): Promise<Record<WorkflowStatus, number>> => {
      const [filter, namespace] = scopedFilter(given, positional);
      filterParams(filter);
      return countWorkflows(await this.namedEngine(namespace), filter);
    },

    /** The app ids in this database: the schemas that hold this engine's tables. */
    apps: async (namespace?: string): Promise<string[]> => listApps(await this.engine(namespace)),

    /** handle.cancel() on every running job the filter selects: `{ matched, affected }`. */
    cancelMany: async (given: WorkflowFilter, options?: { reason?: string }, positional?: string): Promise<BulkResult> => {
      const [filter, namespace] = scopedFilter(given, positional);
      const run = prepareBulk('cancel', filter, options);
      return run(await this.namedEngine(namespace));
    },

    /** handle.terminate() on every running, waiting or parked job the filter selects. */
    terminateMany: async (given: WorkflowFilter, options?: { reason?: string }, positional?: string): Promise<BulkResult> => {
      const [filter, namespace] = scopedFilter(given, positional);
      const run = prepareBulk('terminate', filter, options);
      return run(await this.namedEngine(namespace));
    },

    /** handle.resume() on every parked job the filter selects. */
    resumeMany: async (given: WorkflowFilter, positional?: string): Promise<BulkResult> => {
      const [filter, namespace] = scopedFilter(given, positional);
      const run = prepareBulk('resume', filter);
      return run(await this.namedEngine(namespace));
    },

    /**
     * Send a signal to every thread of the app waiting on `signalId`, or keep it for the next waiter
     * when none waits (7 days by default). To address one job, use `handle.signal`. See SignalOptions
     * for `signalKey` (idempotency) and `expire`.
     */
    signal: async (signalId: string, data: unknown, namespace?: string, options?: SignalOptions): Promise<string> => {
      const prepared = prepareSignal(signalId, data, options); // refuse bad input before opening anything
      await signalApp(await this.engine(namespace), prepared);
      return signalId;
    },
  };
}
