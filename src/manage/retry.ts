/**
 * `handle.retry()`: a failed job runs again from its failed call. The journal before that call is
 * kept (those steps are replayed, not run again); the failed call, its attempts and whatever was
 * delivered with it or after it start over (migration 0023 retry_job).
 */
import type { Engine } from '../engine/engine.js';
import { JobNotFoundError, WorkflowStateError } from '../errors.js';
import * as manage from '../sql/queries/manage.js';
import { workflowTopic } from '../topics.js';
import { validateId } from '../validation.js';
import { checkOutcome } from './outcome.js';

export async function retryWorkflow(engine: Engine, workflowId: string): Promise<void> {
  validateId('workflowId', workflowId);
  const main = (await engine.query(manage.readMainThread, { jobId: workflowId })).rows[0];
  if (!main) throw new JobNotFoundError(workflowId);
  // journal retention (migration 0043) deleted what a replay needs: running it again would redo every step
  if (main.compacted) throw new WorkflowStateError(workflowId, 'retry', `${main.status} with its journal compacted`, 'uncompacted');
  const topic = workflowTopic(main.task_queue, main.workflow_name);
  const res = await engine.query(manage.retryJob, { jobId: workflowId, topic, channel: engine.channel });
  await checkOutcome(engine, workflowId, 'retry', 'failed', res.rows[0]?.outcome, 'retried');
}
