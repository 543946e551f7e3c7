/**
 * A Runtime: everything one `MemFlow.init` instance keeps while it lives. It owns the engines it
 * opened (one per app and database), their task loops, its activity registry, its interceptors and
 * its worker defaults; the drivers underneath are shared with the process's other runtimes by
 * reference count (storage/connection.ts). `shutdown()` stops and closes what it owns, and nothing else.
 *
 * The established form (`new MemFlow.Client`, `MemFlow.Worker.create`, the static
 * `MemFlow.registerInterceptor`) uses the process runtime, `processRuntime`. Its activity registry and
 * interceptors are the process-wide ones upstream describes (memflow-api.md §4.2, §5.16): every other
 * runtime falls back to its registry and runs its interceptors outside (before) its own.
 * `MemFlow.shutdown()` shuts every runtime down.
 */
import { callAsPromise } from '../call-as-promise.js';
import { HotMeshEngine } from '../compat/hotmesh-engine.js';
import { Engine } from '../engine/engine.js';
import { ConnectionError, ShutdownError } from '../errors.js';
import { isConnectionFailure } from '../storage/transient-error.js';
import { closeAllDrivers, type DriverHold, type DriverTarget, holdDriver } from '../storage/connection.js';
import { planRegisteredApp } from '../storage/migrate.js';
import { schemaForApp } from '../storage/sql-identifier.js';
import { ActivityRegistry } from '../worker/activity-registry.js';
import { publishNow } from '../worker/calls/emit.js';
import { currentThreadScope, runInThreadScope } from '../worker/execution-scope.js';
import { effectiveLevel, errField, type Logger, type LogLevel, runtimeLogger, withFields } from '../telemetry/logger.js';
import type { RetryFields } from '../worker/retry-policy.js';
import { TaskLoop, type TaskLoopOptions } from '../worker/task-loop.js';
import { validateShutdownOptions } from '../worker/task-loop-options.js';
import { UnservedTopics } from './unserved-topics.js';
import type { ThreadProgram } from '../worker/thread-task.js';
import { type ExecutionHost, installExecutionBindings, type WorkflowExecution } from '../workflow/execution.js';
import { type ActivityInterceptor, type WorkflowInterceptor, withWorkflowInterceptors } from '../workflow/interceptors.js';

export type WorkflowFunction = (...args: any[]) => unknown;

/**
 * Worker defaults of a runtime (a worker's own options win for the first worker of an app), and its
 * logging. `shutdownGraceMs` (default 5000): at shutdown, how long runs in flight get to finish before
 * they are stopped and their tasks given back (runnable at once).
 */
export interface RuntimeOptions extends TaskLoopOptions {
  /** Any pino-shaped logger. Default: one line per entry on stderr, at `warn` and above. */
  logger?: Logger;
  /** Default 'warn' (the stderr logger) or everything (a logger you pass). HOTMESH_LOG_LEVEL overrides. */
  logLevel?: LogLevel;
}

export interface ShutdownOptions {
  /** How long runs in flight get to finish (ms). Default: each loop's `shutdownGraceMs` (5000). */
  graceMs?: number;
}

interface OpenEngine {
  engine: Engine;
  hold: DriverHold;
}

/** An app's engine on a target: its opening, and the engine once it is open. */
interface EngineEntry {
  opening: Promise<OpenEngine>;
  engine?: Engine;
}

export class Runtime {
  readonly activities: ActivityRegistry;
  /** Where this runtime logs (see telemetry/logger.ts). */
  logger: Logger;
  /** Its logging is 'silent' (HOTMESH_LOG_LEVEL, or its `logLevel`). */
  private silent: boolean;
  private readonly ownWorkflowInterceptors: WorkflowInterceptor[] = [];
  private readonly ownActivityInterceptors: ActivityInterceptor[] = [];
  /** Each app's engine on each target: its opening, and the engine once open (openedEngine: no await). */
  private readonly engines = new Map<string, EngineEntry>();
  private readonly loops = new Map<Engine, TaskLoop>();
  /** Warns about starts on topics no worker serves (typos). */
  readonly unserved = new UnservedTopics(
    () => this.logger,
    (engine) => new Set(this.loops.get(engine)?.topicNames() ?? []),
  );
  /** The runtimes made under this one (the process runtime's children: every MemFlow.init). */
  private readonly children = new Set<Runtime>();
  /**
   * Set by shutdown() on a MemFlow.init runtime: it opens nothing again (a ShutdownError). The process
   * runtime stays usable after MemFlow.shutdown(), as the established form's clients expect.
   */
  private closed = false;

  constructor(
    readonly options: RuntimeOptions = {},
    /** The process runtime, for every runtime but itself. */
    private readonly processWide?: Runtime,
  ) {
    this.activities = new ActivityRegistry(processWide?.activities);
    this.logger = runtimeLogger(options);
    this.silent = effectiveLevel(options) === 'silent';
    processWide?.children.add(this);
  }

  /** Interceptors in onion order: the process-wide ones, then this runtime's own. */
  get workflowInterceptors(): readonly WorkflowInterceptor[] {
    const outer = this.processWide?.ownWorkflowInterceptors ?? [];
    return outer.length === 0 ? this.ownWorkflowInterceptors : [...outer, ...this.ownWorkflowInterceptors];
  }

  get activityInterceptors(): readonly ActivityInterceptor[] {
    const outer = this.processWide?.ownActivityInterceptors ?? [];
    return outer.length === 0 ? this.ownActivityInterceptors : [...outer, ...this.ownActivityInterceptors];
  }

  registerInterceptor(interceptor: WorkflowInterceptor): void {
    this.ownWorkflowInterceptors.push(interceptor);
  }

  registerActivityInterceptor(interceptor: ActivityInterceptor): void {
    this.ownActivityInterceptors.push(interceptor);
  }

  /** Clears both workflow and activity interceptors (upstream). */
  clearInterceptors(): void {
    this.ownWorkflowInterceptors.length = 0;
    this.ownActivityInterceptors.length = 0;
  }

  clearActivityInterceptors(): void {
    this.ownActivityInterceptors.length = 0;
  }

  /** The engine of `appId` on `target`, opened (and the app migrated) on first use. */
  async engine(target: DriverTarget, appId: string): Promise<Engine> {
    return (await this.open(target, appId)).engine;
  }

  /**
   * The engine of `appId` on `target` if it is open already, else undefined (then `engine()` opens
   * it). The hot calls (a start) take it with no await: each await costs promises, and with
   * AsyncLocalStorage on, their hooks.
   */
  openedEngine(target: DriverTarget, appId: string): Engine | undefined {
    if (typeof appId !== 'string') return undefined; // engine() refuses it, with a ValidationError
    return this.engines.get(`${target.key}|${appId}`)?.engine;
  }

  /**
   * The engine of `appId` on `target` if the database has that app (opened, and migrated, as engine()
   * does), else an AppNotFoundError naming the apps it has. For reads that name an app: opening one
   * creates it, and a typo in a listing's namespace created an empty app.
   */
  async existingEngine(target: DriverTarget, appId: string): Promise<Engine> {
    schemaForApp(appId);
    if (this.engines.has(`${target.key}|${appId}`)) return this.engine(target, appId);
    this.assertOpen(appId);
    // held until the engine holds it too: an embedded database is not closed and opened again between
    const hold = await holdDriver(target, this.driverOptions());
    this.sayDatabase(target, hold, appId);
    try {
      await planRegisteredApp(hold.driver, appId);
      return await this.engine(target, appId);
    } catch (err) {
      throw !target.embedded && isConnectionFailure(err) ? new ConnectionError(target.source, target.where, err) : err;
    } finally {
      await hold.release();
    }
  }

  /** A ShutdownError once this (MemFlow.init) runtime was shut down. */
  assertOpen(appId: string): void {
    if (this.closed) throw new ShutdownError(appId);
  }

  private open(target: DriverTarget, appId: string): Promise<OpenEngine> {
    schemaForApp(appId); // refuse a bad appId before anything is opened
    const key = `${target.key}|${appId}`;
    const known = this.engines.get(key);
    if (known) return known.opening;
    this.assertOpen(appId);
    const opening = (async () => {
      const hold = await holdDriver(target, this.driverOptions());
      try {
        const engine = await Engine.open(hold.driver, target, appId, this.logger);
        this.sayDatabase(target, hold, appId);
        this.logConnectionTrouble(engine);
        return { engine, hold };
      } catch (err) {
        await hold.release();
        throw !target.embedded && isConnectionFailure(err) ? new ConnectionError(target.source, target.where, err) : err;
      }
    })();
    const entry: EngineEntry = { opening };
    this.engines.set(key, entry);
    opening.then(
      (open) => (entry.engine = open.engine),
      () => this.engines.get(key) === entry && this.engines.delete(key),
    );
    return opening;
  }

  /**
   * Connection trouble of an engine, logged once per event and driver: the driver, and so its LISTEN
   * connection, is shared by every runtime of the process. The runtime whose worker serves the engine
   * logs it, with the topics it serves; where no worker of the process runs on that driver (a client,
   * a dashboard: it logged nothing before, and result() waiters quietly polled), every runtime with an
   * engine on it logs it, to its own logger. The listeners go with the engine (Engine.close clears them).
   */
  private logConnectionTrouble(engine: Engine): void {
    const root = this.processWide ?? this;
    /** The entry's fields when this runtime logs the event, else undefined. */
    const fields = (): Record<string, unknown> | undefined => {
      const loop = this.loops.get(engine);
      if (loop) return { appId: engine.appId, topics: loop.topicNames() };
      const served = [root, ...root.children].some((r) => [...r.loops.keys()].some((e) => e.driver === engine.driver));
      return served ? undefined : { appId: engine.appId };
    };
    engine.onListenerLost((error) => {
      const f = fields();
      if (f) this.logger.warn({ ...f, err: error === undefined ? undefined : errField(error) }, 'database notifications lost (LISTEN connection); reconnecting, polling meanwhile');
    });
    engine.onReconnect(() => {
      const f = fields();
      if (f) this.logger.info(f, 'database notifications regained (LISTEN reconnected)');
    });
    engine.onConnectionError((error) => {
      const f = fields();
      if (f) this.logger.warn({ ...f, err: errField(error) }, 'database connection lost outside a statement (the pool opens a new one)');
    });
  }

  /** What workflow code running on `engine` gets from this runtime. */
  private hostFor(engine: Engine): ExecutionHost {
    const runtime = this;
    return {
      activities: this.activities,
      get workflowInterceptors() {
        return runtime.workflowInterceptors;
      },
      get activityInterceptors() {
        return runtime.activityInterceptors;
      },
      publish: (events) => publishNow(engine, events),
      hotMesh: () => new HotMeshEngine(engine),
    };
  }

  /** The app's task loop in this runtime (its options are set by whoever asks first). */
  private loop(engine: Engine, options: TaskLoopOptions): TaskLoop {
    let loop = this.loops.get(engine);
    if (!loop) {
      const merged: TaskLoopOptions = {
        concurrency: options.concurrency ?? this.options.concurrency,
        leaseSeconds: options.leaseSeconds ?? this.options.leaseSeconds,
        maxPollMs: options.maxPollMs ?? this.options.maxPollMs,
        shutdownGraceMs: options.shutdownGraceMs ?? this.options.shutdownGraceMs,
        journalRetention: options.journalRetention ?? this.options.journalRetention,
        contextLogRetention: options.contextLogRetention ?? this.options.contextLogRetention,
        logger: withFields(this.logger, { appId: engine.appId }),
        // a child on a topic nobody serves would wait in silence, as a client's start would
        onWorkStarted: (topic, jobId, route) => this.unserved.notice(engine, topic, jobId, undefined, route),
      };
      this.loops.set(engine, (loop = new TaskLoop(engine, this.activities, merged)));
    }
    return loop;
  }

  /** Serve `fn` on `topic` (as a workflow and as a hook). */
  async serveWorkflow(
    target: DriverTarget,
    appId: string,
    route: { taskQueue: string; workflowName: string; topic: string },
    fn: WorkflowFunction,
    retry: RetryFields,
    options: TaskLoopOptions,
  ): Promise<void> {
    const { engine } = await this.open(target, appId);
    const loop = this.loop(engine, options);
    loop.register(route.topic, { kind: 'workflow', program: this.threadProgram(engine, fn), retry });
    loop.logger.info({ ...route }, 'worker started'); // where it says it stopped (with the appId)
  }

  /** Use another logger (the established form's `logger` / `logLevel` options set the process runtime's). */
  setLogger(options: { logger?: Logger; logLevel?: LogLevel }): void {
    this.logger = runtimeLogger(options);
    this.silent = effectiveLevel(options) === 'silent';
  }

  /** Said once per database opened (README: "said once at info"), as the embedded notice is. */
  private sayDatabase(target: DriverTarget, hold: DriverHold, appId: string): void {
    if (target.source === 'DATABASE_URL' && hold.opened) this.logger.info({ appId, database: target.where }, 'using PostgreSQL from DATABASE_URL');
  }

  /** A silent runtime opens the embedded default without its stderr notice (`logLevel: 'silent'`). */
  private driverOptions(): { announce: boolean } {
    return { announce: !this.silent };
  }

  /** How a thread of `fn` runs on `engine`: in its own scope, inside this runtime's interceptors. */
  threadProgram(engine: Engine, fn: WorkflowFunction): ThreadProgram {
    const host = this.hostFor(engine);
    return ({ info, run, args }) => {
      const execution: WorkflowExecution = { info, run, host };
      return runInThreadScope(
        execution,
        withWorkflowInterceptors(execution, () => callAsPromise(() => fn(...args))),
      );
    };
  }

  /** Serve remote activity tasks of `topic` with this runtime's registry. */
  async serveActivities(target: DriverTarget, appId: string, topic: string, retry: RetryFields, options: TaskLoopOptions): Promise<void> {
    const engine = await this.engine(target, appId);
    this.loop(engine, options).register(topic, { kind: 'activity', retry });
  }

  /**
   * Stop this runtime's task loops (in-flight runs get their grace; the tasks of runs that did not
   * finish are given back), close its engines, release its drivers.
   */
  async shutdown(given: ShutdownOptions = {}): Promise<void> {
    const options = validateShutdownOptions(given);
    // A MemFlow.init runtime opens nothing new from now on; the runs finishing in their grace still
    // use the engines open now (a start or a context op from an activity: a ShutdownError there used
    // up the attempt). The engines are closed once the loops stopped, with any opened meanwhile.
    if (this.processWide) this.closed = true;
    const loops = [...this.loops.values()];
    this.loops.clear();
    await Promise.all(loops.map((l) => l.stop(options.graceMs)));
    for (const loop of loops) loop.logger.info({ topics: loop.topicNames() }, 'worker stopped'); // the loop's logger carries the appId
    const engines = [...this.engines.values()].map((e) => e.opening);
    this.engines.clear();
    const open = (await Promise.allSettled(engines)).flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    for (const { engine, hold } of open) {
      await this.unserved.forget(engine);
      await engine.close();
      await hold.release();
    }
    this.processWide?.children.delete(this);
  }

  /** Shut down every runtime made under this one, then this one, then any driver still open. */
  async shutdownAll(): Promise<void> {
    await Promise.all([...this.children].map((r) => r.shutdown()));
    await this.shutdown();
    await closeAllDrivers();
  }
}

/** The process runtime: the established API's, and the process-wide registry and interceptors. */
export const processRuntime = new Runtime();

installExecutionBindings({
  current: () => currentThreadScope() as WorkflowExecution | undefined,
  processActivities: processRuntime.activities,
  runAs: (execution, fn) => runInThreadScope(execution, fn),
});
