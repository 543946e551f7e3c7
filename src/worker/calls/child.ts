/**
 * execChild / startChild from inside a thread: a child is a job of its own, linked to this call's
 * position. execChild blocks until the child's main thread journals its result here (finish_thread);
 * startChild is journaled at once with the child's id. A child id that exists already is this call's
 * own child on replay (same parent link), and a DuplicateJobError otherwise.
 */
import { DuplicateJobError } from '../../errors.js';
import { toFailure } from '../../failure-codec.js';
import { encodeJson } from '../../json-value.js';
import * as children from '../../sql/queries/children.js';
import { instruments } from '../../telemetry/metrics.js';
import { currentTraceContext } from '../../telemetry/tracing.js';
import { workflowTopic } from '../../topics.js';
import type { Executor } from './call-site.js';

export const executeChild: Executor<'child' | 'start'> = async (site, call, batch) => {
  const { input } = call;
  const { engine, task, info } = site;
  const detached = call.kind === 'start';
  const parent: children.ParentLink = { job: task.jobId, thread: task.thread, seq: call.seq, await: !detached };
  // the child's runs continue the parent run's trace
  const options = { expire: input.expire ?? info.expire, config: input.config, parentWorkflowId: task.jobId, parent, trace: site.traceContext && currentTraceContext(site.traceContext) };
  const topic = workflowTopic(input.taskQueue, input.workflowName);
  const res = await site.query(children.startChildFromThread, {
    ...site.at(call, batch()),
    childId: input.workflowId,
    entity: input.entity ?? null,
    workflowName: input.workflowName,
    taskQueue: input.taskQueue,
    args: encodeJson('args', input.args),
    options: JSON.stringify(options),
    topic,
    detached,
    channel: engine.channel,
    origin: engine.origin,
  });
  const row = res.rows[0]!;
  if (row.held === 0) site.leaseLost();
  if (row.created === 0) {
    const link = row.existing_parent;
    const mine = link !== null && link.job === parent.job && link.thread === parent.thread && link.seq === parent.seq;
    if (!mine) return site.journal(call, batch(), { type: 'failed', error: toFailure(new DuplicateJobError(input.workflowId)) });
    if (detached) return site.journal(call, batch(), { type: 'done', value: input.workflowId });
    return { type: 'blocked' };
  }
  // a child or detached start is a workflow started, as a client's start is (start-job.ts)
  instruments().started.add(1, { 'hotmesh.app_id': engine.appId, 'hotmesh.workflow_name': input.workflowName });
  site.onWorkStarted?.(topic, input.workflowId, { taskQueue: input.taskQueue, workflowName: input.workflowName });
  if (detached) {
    site.holdChild({ id: input.workflowId, topic }); // runnable after the run's next statement
    setTimeout(() => engine.localWake(topic), 1_010).unref(); // or a second later: see startChildFromThread
    return { type: 'done', value: input.workflowId };
  }
  engine.localWake(topic);
  return { type: 'blocked' };
};
