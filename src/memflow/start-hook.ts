/**
 * Starting a hook from outside: another registered function runs against an existing job (running,
 * waiting or finished), sharing its context. Returns the hook's thread id.
 */
import type { Engine } from '../engine/engine.js';
import { JobNotFoundError, ValidationError } from '../errors.js';
import { encodeJson } from '../json-value.js';
import * as hooks from '../sql/queries/hooks.js';
import * as jobs from '../sql/queries/jobs.js';
import { workflowTopic } from '../topics.js';
import { validateArgs, validateFunctionName, validateId, validateTaskQueue } from '../validation.js';
import type { HookOptions } from '../workflow/hooks.js';
import { guid } from './guid.js';

/** Validate a hook start, before any SQL (and before the client opens its engine). */
export function prepareHookOutside(options: HookOptions & { workflowId: string }) {
  if (!options || typeof options !== 'object') throw new ValidationError('hook options', 'must be an object');
  const workflowId = validateId('workflowId', options.workflowId);
  const taskQueue = validateTaskQueue(options.taskQueue ?? options.entity, 'taskQueue');
  const workflowName = validateFunctionName(options.taskQueue ? options.workflowName : (options.entity ?? options.workflowName), 'workflowName');
  const args = encodeJson('args', validateArgs(options.args))!;
  return { workflowId, taskQueue, workflowName, args };
}

export async function startHookOutside(engine: Engine, options: HookOptions & { workflowId: string }): Promise<string> {
  const { workflowId, taskQueue, workflowName, args } = prepareHookOutside(options);
  const thread = `hook-${guid()}`;
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
  });
  if (res.rows[0]!.started === 0) {
    const exists = await engine.query(jobs.readJobStatus, { jobId: workflowId });
    if (exists.rowCount === 0) throw new JobNotFoundError(workflowId);
    throw new ValidationError('workflowId', `job '${workflowId}' accepts no hooks (it was started with signalIn: false)`);
  }
  engine.localWake(topic);
  return thread;
}

