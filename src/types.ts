/**
 * The public types of the package, in one module: `index.ts` exports each by name and the module as
 * the catalog's `Types` namespace (memflow-api.md §1.1).
 */
export type { ClientConfig, WorkflowOptions } from './memflow/client.js';
export type { WorkerConfig, WorkerOptions } from './memflow/worker.js';
export type { ResultOptions } from './memflow/handle.js';
export type { InitConfig, MemFlowInstance } from './memflow/init.js';
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
  WorkflowExport,
  WorkflowHistory,
  BulkResult,
} from './manage/types.js';
export type { ForkOptions } from './manage/fork.js';
export type { ReplayableHistory, ReplayOptions } from './manage/testing-replay.js';
export type { Logger, LogLevel } from './telemetry/logger.js';
export type { DashboardOptions, DashboardHandle } from './dashboard/dashboard.js';
