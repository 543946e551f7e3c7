/**
 * Starting a hook from outside: another registered function runs against an existing job (running,
 * waiting or finished), sharing its context. Returns the hook's thread id.
 */
import type { Engine } from '../engine/engine.js';
import { JobNotFoundError, ValidationError } from '../errors.js';
import { checkIndexable } from '../search-rules.js';
import * as hooks from '../sql/queries/hooks.js';
import * as jobs from '../sql/queries/jobs.js';
import { currentTraceContext, storedTrace } from '../telemetry/tracing.js';
import { workflowTopic } from '../topics.js';
import { validateId } from '../validation.js';
import { type HookOptions, validateHookCall } from '../workflow/hooks.js';
import { guid } from './guid.js';

/** A hook started from outside names its job, and may carry an idempotency key. */
export interface OutsideHookOptions extends HookOptions {
  workflowId: string;
  /**
   * Idempotency key: the hook's thread id becomes `hook-<hookId>`, so a second start with the same
   * hookId on the same job (a client retrying after a lost reply) starts nothing and returns the
   * same thread id. Any id without `/`. Default: none (every start runs a new hook).
   */
  hookId?: string;
}

/** Validate a hook start, before any SQL (and before the client opens its engine). */
export function prepareHookOutside(options: OutsideHookOptions) {
  if (!options || typeof options !== 'object') throw new ValidationError('hook options', 'must be an object');
  const workflowId = validateId('workflowId', options.workflowId);
  const { taskQueue, workflowName, argsJson: args, config, search } = validateHookCall(options);
  const hookId = options.hookId === undefined ? undefined : validateId('hookId', options.hookId);
  if (hookId?.includes('/')) throw new ValidationError('hookId', "must not contain '/' (it names a thread, and '/' marks a hook's own hooks)");
  return { workflowId, taskQueue, workflowName, args, hookId, config, search: search && checkIndexable(search) };
}

/** Told of a hook started on `topic` (the runtime warns when no worker serves it: unserved-topics.ts). */
export type HookStarted = (engine: Engine, topic: string, jobId: string, route: { taskQueue: string; workflowName: string }) => void;

export async function startHookOutside(engine: Engine, options: OutsideHookOptions, started?: HookStarted): Promise<string> {
  const { workflowId, taskQueue, workflowName, args, hookId, config, search } = prepareHookOutside(options);
  const thread = `hook-${hookId ?? guid()}`;
  const topic = workflowTopic(taskQueue, workflowName);
  const res = await engine.query(hooks.startHookOutside, {
    targetId: workflowId,
    hookThread: thread,
    workflowName,
    taskQueue,
    topic,
    args,
    channel: engine.channel,
    origin: engine.origin,
    // the caller's active span: the hook's runs continue its trace (telemetry/tracing.ts)
    trace: storedTrace(currentTraceContext()),
    config: config === undefined ? null : JSON.stringify(config),
    search: JSON.stringify(search ?? {}),
  });
  if (res.rows[0]!.started === 0) {
    if (hookId !== undefined) {
      // a retry: the thread is there (seen by this statement, or committed by a concurrent twin since)
      if (res.rows[0]!.existed || (await engine.query(hooks.threadExists, { jobId: workflowId, thread })).rows[0]!.exists) return thread;
    }
    const exists = await engine.query(jobs.readJobStatus, { jobId: workflowId });
    if (exists.rowCount === 0) throw new JobNotFoundError(workflowId);
    throw new ValidationError('workflowId', `job '${workflowId}' accepts no hooks (it was started with signalIn: false)`);
  }
  started?.(engine, topic, workflowId, { taskQueue, workflowName });
  engine.localWake(topic);
  return thread;
}

