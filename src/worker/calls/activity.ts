/**
 * Activities. Inline when routed by default and the function is known here (the proxy's own, or
 * registered in this runtime): one statement per step. An explicit `taskQueue` is a placement
 * decision, so the call becomes a task for the activity workers of `<taskQueue>-activity` (by
 * default, `<workflowTopic>-activity`), wherever they run, and the thread waits for its result.
 */
import { encodeJson } from '../../json-value.js';
import type { IssuedCallOf } from '../../replay/durable-call.js';
import * as activities from '../../sql/queries/activities.js';
import * as journal from '../../sql/queries/journal.js';
import { activityTopic } from '../../topics.js';
import { attemptActivity, idempotencyKey, logAttempt } from '../activity-attempt.js';
import type { ActivityPayload } from '../activity-task.js';
import { resolveRetry } from '../retry-policy.js';
import type { CallSite, Executor } from './call-site.js';

export const executeActivity: Executor<'activity'> = async (site, call, batch, previous) => {
  const { input } = call;
  const fn = input.taskQueue === undefined ? (input.fn ?? site.activities.find(call.name)) : undefined;
  if (!fn) return scheduleRemote(site, call, activityTopic(input.taskQueue ?? site.info.workflowTopic));
  site.releaseHeldChildren(); // an inline activity writes nothing before it runs
  const attempt = (previous?.status === 'retry' ? previous.attempt : 0) + 1;
  const { engine, task } = site;
  const decision = await attemptActivity(
    fn,
    input.args,
    {
      idempotencyKey: idempotencyKey(engine.appId, task.jobId, task.thread, call.seq),
      activityName: call.name,
      workflowId: task.jobId,
      thread: task.thread,
      seq: call.seq,
      attempt,
      namespace: engine.appId,
    },
    resolveRetry(input.retryPolicy, site.info.config, site.workerRetry),
    input.startToCloseMs,
  );
  logAttempt(site.log, call.name, call.seq, attempt, decision);
  switch (decision.type) {
    case 'done':
      return site.journal(call, batch(), { type: 'done', value: decision.value }, attempt, decision.json);
    case 'failed':
      return site.journal(call, batch(), { type: 'failed', error: decision.failure }, attempt);
    case 'retry': {
      const res = await site.query(journal.recordRetry, {
        ...site.lease(),
        seq: call.seq,
        kind: call.kind,
        name: call.name,
        failure: JSON.stringify(decision.failure),
        attempt,
        delaySeconds: decision.delaySeconds,
      });
      if (res.rowCount === 0) site.leaseLost();
      return { type: 'blocked', attempt, dueAt: Number(res.rows[0]!.due_at), attemptFailure: decision.failure };
    }
  }
};

async function scheduleRemote(site: CallSite, call: IssuedCallOf<'activity'>, topic: string) {
  const { seq, name } = call;
  const { args, retryPolicy, startToCloseMs } = call.input;
  const payload: ActivityPayload = { name, args, retryPolicy, config: site.info.config, startToCloseMs };
  const { engine } = site;
  const res = await site.query(activities.scheduleActivity, {
    ...site.lease(),
    seq,
    topic,
    payload: encodeJson(`activity '${name}' args`, payload)!,
    channel: engine.channel,
    origin: engine.origin,
  });
  if (res.rows[0]!.held === 0) site.leaseLost();
  engine.localWake(topic);
  return { type: 'blocked' } as const;
}
