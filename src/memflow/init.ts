/**
 * The README facade: `MemFlow.init({ appId, engine: { connection } })`. A thin layer over Client and
 * Worker with the namespace defaulted to the appId. With no connection it runs on the embedded
 * PGlite database.
 */
import { validateAppId } from '../storage/sql-identifier.js';
import type { ConnectionConfig } from '../storage/connection.js';
import { Client, type WorkflowOptions } from './client.js';
import type { WorkflowHandle } from './handle.js';
import type { HookOptions } from '../workflow/hooks.js';
import type { JobContext, JobContextOptions } from './job-context.js';
import { Scope } from './runtime.js';
import { Worker, type WorkerConfig } from './worker.js';

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
  logLevel?: 'debug' | 'info' | 'warn' | 'error' | 'silent';
}

export interface MemFlowInstance {
  readonly appId: string;
  readonly client: Client;
  readonly workflow: {
    start(options: WorkflowOptions): Promise<WorkflowHandle>;
    getHandle(taskQueue: string, workflowName: string, workflowId: string, namespace?: string): Promise<WorkflowHandle>;
    signal(signalId: string, data: unknown, namespace?: string): Promise<string>;
    hook(options: HookOptions & { workflowId: string }): Promise<string>;
    context(workflowId: string, options?: JobContextOptions & { namespace?: string }): Promise<JobContext>;
  };
  readonly worker: {
    create(config: Omit<WorkerConfig, 'connection' | 'namespace'> & Partial<WorkerConfig>): Promise<Worker>;
    registerActivityWorker(config: Partial<WorkerConfig>, activities: object, activityTaskQueue?: string): Promise<unknown>;
  };
  /** Stop this instance's workers and close what no other instance (or established-form client) uses. */
  shutdown(): Promise<void>;
}

export async function init(config: InitConfig = {}): Promise<MemFlowInstance> {
  const appId = validateAppId(config.appId ?? config.namespace ?? 'memflow');
  const connection = config.engine?.connection ?? config.connection;
  const scope = new Scope();
  const client = new Client({ connection, dataDir: config.dataDir }, scope);
  await client.engine(appId); // provision the schema now, as the README promises
  return {
    appId,
    client,
    workflow: {
      start: (options) => client.workflow.start({ ...options, namespace: options.namespace ?? appId }),
      getHandle: (taskQueue, workflowName, workflowId, namespace) =>
        client.workflow.getHandle(taskQueue, workflowName, workflowId, namespace ?? appId),
      signal: (signalId, data, namespace) => client.workflow.signal(signalId, data, namespace ?? appId),
      hook: (options) => client.workflow.hook({ ...options, namespace: options.namespace ?? appId }),
      context: (workflowId, options = {}) => client.workflow.context(workflowId, { ...options, namespace: options.namespace ?? appId }),
    },
    worker: {
      create: (workerConfig) =>
        Worker.create({ connection, dataDir: config.dataDir, namespace: appId, ...workerConfig } as WorkerConfig, scope),
      registerActivityWorker: (workerConfig, activities, activityTaskQueue) =>
        Worker.registerActivityWorker({ connection, dataDir: config.dataDir, namespace: appId, ...workerConfig }, activities, activityTaskQueue, scope),
    },
    shutdown: () => scope.close(),
  };
}
