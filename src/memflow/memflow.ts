/**
 * `MemFlow`: the public API in both forms, the README facade (`MemFlow.init`) and the established
 * one (`MemFlow.Client`, `MemFlow.Worker`, `MemFlow.workflow`).
 */
import * as Errors from '../errors.js';
import { didInterrupt } from '../errors.js';
import { Enums } from './enums.js';
import { currentActivityContext } from '../worker/execution-scope.js';
import { workflow } from '../workflow/index.js';
import { clearActivityInterceptors, clearInterceptors, registerActivityInterceptor, registerInterceptor } from '../workflow/interceptors.js';
import { Client } from './client.js';
import { guid } from './guid.js';
import { WorkflowHandle } from './handle.js';
import { Entity } from './entity.js';
import { init } from './init.js';
import { SearchQueries } from './search-fields.js';
import { shutdownAll } from './runtime.js';
import { Worker } from './worker.js';

export class MemFlow {
  static readonly Client = Client;
  static readonly Worker = Worker;
  static readonly Handle = WorkflowHandle;
  static readonly Context = Entity;
  static readonly Entity = Entity;
  static readonly Search = SearchQueries;
  static readonly workflow = workflow;
  /** Inside an activity: its idempotency key (the same for every attempt), attempt number, job. */
  static readonly activity = { getContext: currentActivityContext };
  static readonly init = init;
  static readonly guid = guid;
  static readonly registerActivityWorker = Worker.registerActivityWorker;
  static readonly registerInterceptor = registerInterceptor;
  static readonly registerActivityInterceptor = registerActivityInterceptor;
  static readonly clearInterceptors = clearInterceptors;
  static readonly clearActivityInterceptors = clearActivityInterceptors;
  static readonly didInterrupt = didInterrupt;
  static readonly Errors = Errors;
  static readonly Enums = Enums;
  /** Upstream: `Connection.connect(cfg)` returns the config unchanged and opens nothing. */
  static readonly Connection = { connect: async <T>(config: T): Promise<T> => config };

  /** Stop every worker and client engine this process opened, and close their connections. */
  static async shutdown(): Promise<void> {
    await shutdownAll();
  }
}
