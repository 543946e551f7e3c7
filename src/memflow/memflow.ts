/**
 * `MemFlow`: the public API in both forms, the README facade (`MemFlow.init`) and the established
 * one (`MemFlow.Client`, `MemFlow.Worker`, `MemFlow.workflow`). The static interceptor and activity
 * registrations are process-wide (upstream semantics): they go to the process runtime, which every
 * `MemFlow.init` instance falls back to.
 */
import { Connection } from '../compat/connection.js';
import { startDashboard } from '../dashboard/dashboard.js';
import { Enums } from '../compat/enums.js';
import { SearchQueries } from '../compat/search-statics.js';
import * as Errors from '../errors.js';
import { didInterrupt } from '../errors.js';
import { processRuntime } from '../runtime/runtime.js';
import { currentActivityInfo } from '../worker/execution-scope.js';
import { workflow } from '../workflow/index.js';
import type { ActivityInterceptor, WorkflowInterceptor } from '../workflow/interceptors.js';
import { Client } from './client.js';
import { Entity } from './entity.js';
import { guid } from './guid.js';
import { WorkflowHandle } from './handle.js';
import { init } from './init.js';
import { Worker } from './worker.js';
import { replayHistory } from '../manage/testing-replay.js';

export class MemFlow {
  static readonly Client = Client;
  static readonly Worker = Worker;
  static readonly Handle = WorkflowHandle;
  static readonly Context = Entity;
  static readonly Entity = Entity;
  static readonly Search = SearchQueries;
  static readonly workflow = workflow;
  /** Inside an activity: its idempotency key (the same for every attempt), attempt number, job. */
  static readonly activity = { getContext: currentActivityInfo };
  static readonly init = init;
  static readonly guid = guid;
  /**
   * Serve the web dashboard (apps, jobs, a job's timeline and memory, actions) on
   * `http://127.0.0.1:7070` by default. Returns `{ url, close() }`. See DashboardOptions.
   */
  static readonly dashboard = startDashboard;
  static readonly registerActivityWorker = Worker.registerActivityWorker;
  /** Process-wide: wraps every workflow and hook run of every runtime, outside each one's own. */
  static registerInterceptor(interceptor: WorkflowInterceptor): void {
    processRuntime.registerInterceptor(interceptor);
  }
  static registerActivityInterceptor(interceptor: ActivityInterceptor): void {
    processRuntime.registerActivityInterceptor(interceptor);
  }
  /** Clears both process-wide workflow and activity interceptors (upstream). */
  static clearInterceptors(): void {
    processRuntime.clearInterceptors();
  }
  static clearActivityInterceptors(): void {
    processRuntime.clearActivityInterceptors();
  }
  /**
   * Tools for tests. `replay(history, workflowFn, options?)` replays a recorded history (`history()`'s
   * entries, an export's `history`, or what `hotmesh export` wrote) against a function, with no
   * database: it throws the NonDeterminismError of the first divergent call, and returns quietly when
   * the function is compatible with the record.
   */
  static readonly testing = { replay: replayHistory };
  static readonly didInterrupt = didInterrupt;
  static readonly Errors = Errors;
  static readonly Enums = Enums;
  /** Upstream: `Connection.connect(cfg)` returns the config unchanged and opens nothing. */
  static readonly Connection = Connection;

  /** Stop every runtime of this process (every MemFlow.init instance and the established form's). */
  static async shutdown(): Promise<void> {
    await processRuntime.shutdownAll();
  }
}
