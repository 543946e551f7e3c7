/**
 * Workers (established form): `await MemFlow.Worker.create({ connection, taskQueue, workflow })`
 * registers a function on topic `<taskQueue>-<name>` and starts serving it. The same function can run
 * as a main workflow and as a hook; there is no separate hook-worker API.
 */
import { type LoopTuning, validateLoopTuning } from '../worker/task-loop-options.js';
import { ValidationError } from '../errors.js';
import { processRuntime, type Runtime, type WorkflowFunction } from '../runtime/runtime.js';
import { type ConnectionConfig, resolveTarget } from '../storage/connection.js';
import { activityTopic, workflowTopic } from '../topics.js';
import { validateActivities, validateRetry, validateWorkflowName, validateTaskQueue } from '../validation.js';
import type { Logger, LogLevel } from '../telemetry/logger.js';
import type { RetryFields } from '../worker/retry-policy.js';
import { DEFAULT_NAMESPACE } from './client.js';

/**
 * A worker's `options`: its retry policy, and the tuning of its app's task loop in this runtime
 * (LoopTuning: concurrency, leaseSeconds, shutdownGraceMs, maxPollMs, journalRetention,
 * contextLogRetention), which the first worker of an app in a runtime sets.
 */
export interface WorkerOptions extends RetryFields, LoopTuning {
  /** The established form's logging (see ClientConfig.logger); a logger here sets the process runtime's. */
  logger?: Logger;
  logLevel?: LogLevel;
}

export interface WorkerConfig {
  connection?: ConnectionConfig;
  dataDir?: string;
  taskQueue: string;
  /** A function, or an object of functions (the last one wins, as upstream). */
  workflow: WorkflowFunction | Record<string, WorkflowFunction>;
  /** The app id. Default 'memflow'. */
  namespace?: string;
  /** Worker-level defaults for retry policies, plus loop tuning. */
  options?: WorkerOptions;
  /** Accepted for compatibility (search-index configuration is a no-op on Postgres). */
  search?: unknown;
  guid?: string;
}

/**
 * An inline function (`workflow: async () => ...`) has no name of its own: JavaScript names it after
 * the `workflow` key, and it would be served as 'workflow' (issue 11: refused instead, with a clear
 * error). A function declared with that name (`async function workflow() {}`, a method `workflow()`)
 * keeps it. An arrow held in a variable named `workflow` and passed as `{ workflow }` cannot be told
 * from the inline one: it is refused too, with the same advice.
 */
function declaredAsWorkflow(fn: WorkflowFunction): boolean {
  return /^(async\s*)?(function\s*)?\*?\s*workflow\s*\(/.test(Function.prototype.toString.call(fn).trimStart());
}

function pickFunction(workflow: WorkerConfig['workflow']): { name: string; fn: WorkflowFunction } {
  if (typeof workflow === 'function') {
    if (workflow.name === 'workflow' && !declaredAsWorkflow(workflow)) {
      throw new ValidationError(
        'workflow',
        "is an arrow or anonymous function: its name 'workflow' comes from the option (or a variable) it was written in, not from a declaration. Declare it as a named function (async function greet() {}) and pass it, or pass { greet }",
      );
    }
    return { name: validateWorkflowName(workflow.name, 'workflow function name'), fn: workflow };
  }
  if (workflow && typeof workflow === 'object') {
    const entries = Object.entries(workflow).filter(([, fn]) => typeof fn === 'function');
    const last = entries[entries.length - 1];
    if (last) return { name: validateWorkflowName(last[1].name || last[0], 'workflow function name'), fn: last[1] };
  }
  throw new ValidationError('workflow', 'must be a named function or an object of functions');
}

/**
 * A worker's options, split into the task loop's, the retry defaults and the logging ones; the
 * retention options are validated here, before anything opens.
 */
function splitOptions(options: WorkerOptions | undefined) {
  if (options !== undefined && (options === null || typeof options !== 'object' || Array.isArray(options))) {
    throw new ValidationError('options', 'must be an object of worker options');
  }
  const { concurrency, leaseSeconds, shutdownGraceMs, maxPollMs, journalRetention, contextLogRetention, logLevel, logger, ...retry } = options ?? {};
  const loop = { concurrency, leaseSeconds, shutdownGraceMs, maxPollMs, journalRetention, contextLogRetention };
  validateLoopTuning('options', loop);
  validateRetry('options', retry);
  return { loop, retry, logLevel, logger };
}

export class Worker {
  private constructor(
    readonly taskQueue: string,
    readonly workflowName: string,
    readonly topic: string,
    readonly namespace: string,
  ) {}

  /** `runtime` is internal: `mf.worker.create` passes its instance's. */
  static async create(config: WorkerConfig, runtime: Runtime = processRuntime): Promise<Worker> {
    if (!config || typeof config !== 'object') throw new ValidationError('config', 'must be an object');
    const taskQueue = validateTaskQueue(config.taskQueue);
    const { name, fn } = pickFunction(config.workflow);
    const namespace = config.namespace ?? DEFAULT_NAMESPACE;
    const target = resolveTarget(config.connection, config.dataDir);
    const topic = workflowTopic(taskQueue, name);
    const { loop, retry, logLevel, logger } = splitOptions(config.options);
    if (runtime === processRuntime && (logger || logLevel)) runtime.setLogger({ logger, logLevel });
    await runtime.serveWorkflow(target, namespace, { taskQueue, workflowName: name, topic }, fn, retry, loop);
    // activities this workflow routes by default (`<topic>-activity`), run for other processes
    await runtime.serveActivities(target, namespace, activityTopic(topic), retry, loop);
    return new Worker(taskQueue, name, topic, namespace);
  }

  /**
   * Serve activities on `<queue>-activity`, where queue = `activityTaskQueue`, else
   * `config.taskQueue`, else 'memflow-activities'. Pairs with `proxyActivities({ taskQueue: queue })`.
   */
  static async registerActivityWorker(
    config: Partial<WorkerConfig>,
    activities: object | ((...args: any[]) => unknown),
    activityTaskQueue?: string,
    runtime: Runtime = processRuntime,
  ): Promise<{ taskQueue: string; topic: string }> {
    const taskQueue = validateTaskQueue(activityTaskQueue ?? config.taskQueue ?? 'memflow-activities');
    validateActivities('activities', activities, true);
    runtime.activities.register(activities);
    const { loop, retry } = splitOptions(config.options);
    const topic = activityTopic(taskQueue);
    await runtime.serveActivities(resolveTarget(config.connection, config.dataDir), config.namespace ?? DEFAULT_NAMESPACE, topic, retry, loop);
    return { taskQueue, topic };
  }

  /** Kept for Temporal familiarity: the worker already runs. */
  async run(): Promise<void> {}

  /** Stops every worker and client engine of this process. */
  static async shutdown(): Promise<void> {
    await processRuntime.shutdownAll();
  }
}
