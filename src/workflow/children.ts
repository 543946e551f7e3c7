/**
 * Child workflows: a separate job (with its own context) started from a thread.
 * `execChild` waits for the child's result; `startChild` returns the child's id once it exists.
 * The default child id is derived from the parent's position (`-<name>-<parentId>-<thread>-<seq>`),
 * so a replay finds its own child instead of starting another one.
 */
import { DuplicateJobError, isHotMeshError, ValidationError } from '../errors.js';
import { reviveFailure } from '../failure-codec.js';
import { encodeJson } from '../json-value.js';
import type { ChildCallInput, RetryConfig } from '../replay/durable-call.js';
import { validateArgs, validateId, validatePositiveSeconds, validateRetry, validateRoute } from '../validation.js';
import { derivedId } from './derived-id.js';
import { currentExecution } from './execution.js';

export interface ChildOptions {
  workflowName?: string;
  taskQueue?: string;
  entity?: string;
  args?: unknown[];
  workflowId?: string;
  expire?: number;
  config?: RetryConfig;
  /** false: same as startChild. */
  await?: boolean;
  [key: string]: unknown;
}

function resolveChild(options: ChildOptions, seq: number, parentId: string, thread: string): ChildCallInput {
  if (!options || typeof options !== 'object') throw new ValidationError('child options', 'must be an object');
  const entity = options.entity === undefined ? undefined : validateId('entity', options.entity);
  const { taskQueue, workflowName } = validateRoute(options, entity);
  // the catalog's default (§5.5): `-<workflowName>-<parent>-<dimension>-<index>`, or with an entity
  // `<entity>-<parent>-<dimension>-<index>`
  const workflowId =
    options.workflowId === undefined || options.workflowId === ''
      ? entity !== undefined
        ? derivedId(entity, parentId, thread, String(seq))
        : `-${derivedId(workflowName, parentId, thread, String(seq))}`
      : validateId('workflowId', options.workflowId);
  const args = validateArgs(options.args);
  encodeJson('args', args);
  return { workflowId, workflowName, taskQueue, entity, args, expire: validatePositiveSeconds('expire', options.expire), config: validateRetry('config', options.config) };
}

export async function startChild(options: ChildOptions): Promise<string> {
  const { run, info } = currentExecution('startChild');
  const input = resolveChild(options, run.counter + 1, info.workflowId, info.thread);
  const completion = await run.call({ kind: 'start', name: input.workflowName, input });
  if (!completion.ok) throw reviveFailure(completion.error, 'start');
  return completion.value;
}

export async function execChild<T = any>(options: ChildOptions): Promise<T> {
  if (options?.await === false) return (await startChild(options)) as T;
  const { run, info } = currentExecution('execChild');
  const input = resolveChild(options, run.counter + 1, info.workflowId, info.thread);
  const completion = await run.call({ kind: 'child', name: input.workflowName, input });
  if (completion.ok) return completion.value as T;
  const error = reviveFailure(completion.error, 'child');
  if (error instanceof DuplicateJobError) throw error; // the spawn itself failed (revived here, same package)
  if (options.config?.throwOnError === false && !isHotMeshError(error, 'CancelledError')) return completion.error as T;
  throw error;
}

export const executeChild = execChild;
