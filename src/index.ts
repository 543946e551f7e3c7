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
export { Worker } from './memflow/worker.js';
export { WorkflowHandle } from './memflow/handle.js';
export { guid } from './memflow/guid.js';
export { SearchQueries as Search } from './compat/search-statics.js';
export { Connection } from './compat/connection.js';
export { Context } from './context/context-handle.js';
export { Entity } from './memflow/entity.js';
export { workflow, proxyActivities } from './workflow/index.js';
export { JobContext } from './memflow/job-context.js';
export { WORKFLOW_STATUSES } from './manage/types.js';
export * as Errors from './errors.js';
export { Enums } from './compat/enums.js';
// the public types, by name and as the catalog's `Types` namespace (types only: an empty object at run time)
export type * from './types.js';
export * as Types from './types.js';
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
  ShutdownError,
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
