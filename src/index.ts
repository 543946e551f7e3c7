/**
 * HotMesh: durable workflows with permanent JSON memory, native to PostgreSQL.
 *
 * ```ts
 * import { MemFlow } from 'hotmesh';
 *
 * async function greet(name: string) {
 *   await MemFlow.workflow.sleepFor('1 second');
 *   return `Hello, ${name}!`;
 * }
 *
 * const mf = await MemFlow.init({ appId: 'my-app' }); // no connection: embedded PGlite
 * await mf.worker.create({ taskQueue: 'greetings', workflow: greet });
 * const handle = await mf.workflow.start({ workflowName: 'greet', taskQueue: 'greetings', args: ['Jane'] });
 * console.log(await handle.result()); // Hello, Jane!
 * await mf.shutdown();
 * ```
 */
export { MemFlow } from './memflow/memflow.js';
export { Client } from './memflow/client.js';
export type { ClientConfig, WorkflowOptions } from './memflow/client.js';
export { Worker } from './memflow/worker.js';
export type { WorkerConfig, WorkerOptions } from './memflow/worker.js';
export { WorkflowHandle } from './memflow/handle.js';
export type { ResultOptions } from './memflow/handle.js';
export type { InitConfig, MemFlowInstance } from './memflow/init.js';
export { guid } from './memflow/guid.js';
export { SearchQueries as Search } from './compat/search-statics.js';
export { Connection } from './compat/connection.js';
export { Context } from './context/context-handle.js';
export { Entity } from './memflow/entity.js';
export { workflow, proxyActivities } from './workflow/index.js';
export type { ActivityConfig, ActivityRetryPolicy } from './workflow/proxy-activities.js';
export type { RetryConfig } from './replay/durable-call.js';
export type { WorkflowContext } from './workflow/introspection.js';
export type { WaitForOptions } from './workflow/signals.js';
export type { ActivityInterceptor, WorkflowInterceptor, InterceptedActivity, ActivityCallContext } from './workflow/interceptors.js';
export type { InterruptOptions } from './replay/durable-call.js';
export type { HookOptions, ExecHookOptions } from './workflow/hooks.js';
export type { OutsideHookOptions } from './memflow/start-hook.js';
export type { SignalOptions } from './memflow/send-signal.js';
export type { ChildOptions } from './workflow/children.js';
export type { JobContextOptions, ContextChange } from './memflow/job-context.js';
export { JobContext } from './memflow/job-context.js';
export type { ActivityContext, ActivityInfo } from './worker/execution-scope.js';
export type { ConnectionConfig } from './storage/connection.js';
export type {
  WorkflowStatus,
  WorkflowFilter,
  ListOptions,
  WorkflowListItem,
  WorkflowPage,
  WorkflowErrorInfo,
  WorkflowDescription,
  WaitingFor,
  HistoryEntry,
  HistoryError,
  WorkflowHistory,
  BulkResult,
} from './manage/types.js';
export { WORKFLOW_STATUSES } from './manage/types.js';
export type { ForkOptions } from './manage/fork.js';
export type { ReplayableHistory, ReplayOptions } from './manage/testing-replay.js';
export type { Logger, LogLevel } from './telemetry/logger.js';
export type { DashboardOptions, DashboardHandle } from './dashboard/dashboard.js';
export * as Errors from './errors.js';
export { Enums } from './compat/enums.js';
export {
  HotMeshError,
  ValidationError,
  DuplicateJobError,
  JobNotFoundError,
  GetStateError,
  JobFinishedError,
  NonDeterminismError,
  DataDirLockedError,
  ConnectionError,
  AppSchemaConflictError,
  AppNotFoundError,
  AppMigrationsPendingError,
  MigrationChecksumError,
  ContextTypeError,
  PayloadTooLargeError,
  WorkflowFailedError,
  MemFlowFatalError,
  MemFlowMaxedError,
  MemFlowTimeoutError,
  MemFlowRetryError,
  WaitTimeoutError,
  ActivityTimeoutError,
  ContinueAsNew,
  CancelledError,
  WorkflowStateError,
  ErrorCode,
  isHotMeshError,
  didInterrupt,
} from './errors.js';
