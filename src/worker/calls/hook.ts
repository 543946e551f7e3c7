/**
 * hook() from inside a thread: start another registered function on a job (by default this one), as
 * a new thread whose id is derived from this call's position, so a replay finds its own hook.
 */
import { ErrorCode } from '../../errors.js';
import { toFailure, withCode } from '../../failure-codec.js';
import { encodeJson } from '../../json-value.js';
import * as hooks from '../../sql/queries/hooks.js';
import { currentTraceContext, storedTrace } from '../../telemetry/tracing.js';
import { workflowTopic } from '../../topics.js';
import { checkIndexable } from '../../search-rules.js';
import type { Executor } from './call-site.js';

export const executeHook: Executor<'hook'> = async (site, call, batch) => {
  const { input } = call;
  const { engine, task } = site;
  const sameJob = input.workflowId === task.jobId;
  const hookThread = sameJob ? `${task.thread}/${call.seq}` : `${task.jobId}/${task.thread}/${call.seq}`;
  const topic = workflowTopic(input.taskQueue, input.workflowName);
  try {
    if (input.search) checkIndexable(input.search); // as the call runs (search.ts executeSearchOp)
  } catch (err) {
    return site.journal(call, batch(), { type: 'failed', error: toFailure(err) });
  }
  const res = await site.query(hooks.startHookFromThread, {
    ...site.at(call, batch()),
    targetId: input.workflowId,
    hookThread,
    workflowName: input.workflowName,
    taskQueue: input.taskQueue,
    topic,
    args: encodeJson('args', input.args),
    channel: engine.channel,
    origin: engine.origin,
    // the hook's runs continue this run's trace (not traced: the target job's)
    trace: site.traceContext ? storedTrace(currentTraceContext(site.traceContext)) : null,
    config: input.config === undefined ? null : JSON.stringify(input.config),
    search: JSON.stringify(input.search ?? {}),
  });
  const row = res.rows[0]!;
  if (row.held === 0) site.leaseLost();
  if (row.found === 0) {
    const missing = toFailure(new Error(`Hook target job '${input.workflowId}' does not exist or does not accept hooks`));
    return site.journal(call, batch(), { type: 'failed', error: withCode(missing, ErrorCode.NOT_FOUND) });
  }
  if (row.journaled === 0) site.leaseLost();
  site.onWorkStarted?.(topic, input.workflowId, { taskQueue: input.taskQueue, workflowName: input.workflowName });
  engine.localWake(topic);
  return { type: 'done', value: hookThread };
};
