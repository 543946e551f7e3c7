/**
 * Hooks: start another registered function on a job (by default this one), sharing its context.
 *
 * - `hook(options)` starts it and returns at once (with the hook's thread id).
 * - `execHook(options)` starts it and waits for its signal: the hook gets
 *   `{ signal: signalId, $memflow: true, job }` as its last argument and reports back with
 *   `MemFlow.workflow.signal(signalId, result)`.
 * - `execHookBatch(items)` starts them all, then waits for all their signals.
 * A hook that fails for good (retries exhausted, or a fatal error) sends its failure instead, and the
 * waiting execHook throws it.
 * `Promise.all([execHook(a), execHook(b)])` behaves exactly like `execHookBatch`: both hooks start
 * in the same delivery batch, before the thread suspends.
 */
import { ValidationError } from '../errors.js';
import { reviveFailure } from '../failure-codec.js';
import type { CallInput, RetryConfig } from '../replay/durable-call.js';
import { type HookFailure, hookSignalArg, isHookFailure } from '../replay/hook-signal.js';
import { encodeJson } from '../json-value.js';
import { validateArgs, validateId, validateRetry, validateRoute } from '../validation.js';
import { derivedId } from './derived-id.js';
import { searchData } from '../search-rules.js';
import { currentExecution } from './execution.js';
import { waitFor } from './signals.js';

export interface HookOptions {
  /** Queue of the worker that serves the hook function. */
  taskQueue?: string;
  /** The hook function's name. */
  workflowName?: string;
  /** Routing by entity (upstream): queue and name default to it. */
  entity?: string;
  /** The job to run on. Default: the current job. */
  workflowId?: string;
  args?: unknown[];
  namespace?: string;
  config?: RetryConfig;
  search?: { data?: Record<string, string> };
}

export interface ExecHookOptions extends HookOptions {
  /** The signal the hook sends when done. Default: derived from this call's position (deterministic). */
  signalId?: string;
}

/**
 * What a hook runs and with what, validated before any SQL: from a workflow (resolveHook) and from
 * outside (memflow/start-hook.ts) alike. `argsJson` is the arguments' JSON text.
 */
export function validateHookCall(options: HookOptions) {
  const { taskQueue, workflowName } = validateRoute(options, options.entity);
  const args = validateArgs(options.args);
  const argsJson = encodeJson('args', args)!;
  const config = validateRetry('config', options.config);
  return { taskQueue, workflowName, args, argsJson, config, search: searchData(options.search) };
}

function resolveHook(options: HookOptions, defaultJob: string, run: { takeSeq(): number }): CallInput<'hook'> {
  if (!options || typeof options !== 'object') throw new ValidationError('hook options', 'must be an object');
  if (options.taskQueue === undefined && options.entity === undefined) {
    // as upstream, the refused hook has taken its index (memflow-api.md §5.6: the check runs after
    // the side-effect guard takes its index), so a workflow that catches this numbers its later calls
    // (and seeds its random()s) as there
    run.takeSeq();
    throw new Error(
      'MemFlow Hook Error: Potential infinite loop detected! A hook needs a taskQueue (or an entity) naming ' +
        'the worker that serves it; without taskQueue and entity it would re-enter this workflow.',
    );
  }
  const workflowId = options.workflowId === undefined ? defaultJob : validateId('workflowId', options.workflowId);
  const { taskQueue, workflowName, args, config, search } = validateHookCall(options);
  return { workflowId, taskQueue, workflowName, args, config, search };
}

export async function hook(options: HookOptions): Promise<string> {
  const { run, info } = currentExecution('hook');
  const input = resolveHook(options, info.workflowId, run);
  const completion = await run.call({ kind: 'hook', name: input.workflowName, input });
  if (!completion.ok) throw reviveFailure(completion.error, 'hook');
  return completion.value;
}

export async function execHook<T = any>(options: ExecHookOptions): Promise<T> {
  const { run, info } = currentExecution('execHook');
  const signalId =
    options.signalId === undefined
      ? `memflow-hook-${derivedId(info.workflowId, info.thread, String(run.counter + 1))}`
      : validateId('signalId', options.signalId);
  const thread = await hook({ ...options, args: [...validateArgs(options.args), hookSignalArg(signalId, info.workflowId)] });
  for (;;) {
    const reply = await waitFor<T | HookFailure>(signalId);
    if (!isHookFailure(reply)) return reply;
    // this hook failed for good (its retries ran out, or it threw a fatal error): so does this call,
    // or, with `config: { throwOnError: false }`, it returns the failure as a plain object (as
    // execChild does). A failure another hook sent on the same signal id (a fixed id used twice, and
    // a copy sent again after a crash) is not this call's: it waits on.
    if (reply.thread === thread) {
      if (options.config?.throwOnError === false) return reply.error as T;
      throw reviveFailure(reply.error, 'hookFailure');
    }
  }
}

export async function execHookBatch<T extends Record<string, unknown> = Record<string, any>>(
  items: Array<{ key: string; options: ExecHookOptions }>,
): Promise<T> {
  currentExecution('execHookBatch'); // outside a workflow, even an empty batch is refused
  if (!Array.isArray(items)) throw new ValidationError('execHookBatch items', 'must be an array of { key, options }');
  const results = await Promise.all(items.map((item) => execHook(item.options)));
  return Object.fromEntries(items.map((item, i) => [item.key, results[i]])) as T;
}
