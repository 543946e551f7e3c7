/**
 * `handle.fork({ fromSeq?, workflowId? })`: a new job running the same workflow with the same
 * arguments, whose journal is a copy of the original's main thread up to seq `fromSeq` (default:
 * every delivered call before the first that failed) and whose context is the original's as it was
 * at that point (context_at of the last version logged by then). The original is not touched.
 */
import { prunedContextError } from '../context/context-op.js';
import type { Engine } from '../engine/engine.js';
import { DuplicateJobError, JobNotFoundError, ValidationError, WorkflowStateError } from '../errors.js';
import { guid } from '../memflow/guid.js';
import * as manage from '../sql/queries/manage.js';
import { instruments } from '../telemetry/metrics.js';
import { workflowTopic } from '../topics.js';
import { validateId, validateOptions } from '../validation.js';

export interface ForkOptions {
  /** Copy the journal entries with seq up to this one (a non-negative integer). Default: every delivered call before the first that failed. */
  fromSeq?: number;
  /** The new job's id. Default: a fresh guid. */
  workflowId?: string;
}

export interface ForkResult {
  workflowId: string;
  workflowName: string;
  taskQueue: string;
  /** The context version of the original the fork's context was taken at. */
  contextVersion: number;
}

export function checkForkOptions(options: unknown): { fromSeq: number | null; workflowId: string | null } {
  const o = validateOptions<ForkOptions>('fork options', options, ['fromSeq', 'workflowId']);
  if (o.fromSeq !== undefined && (!Number.isInteger(o.fromSeq) || o.fromSeq < 0 || o.fromSeq > 2_147_483_647)) {
    throw new ValidationError('fromSeq', 'must be a non-negative integer');
  }
  return { fromSeq: o.fromSeq ?? null, workflowId: o.workflowId === undefined ? null : validateId('workflowId', o.workflowId) };
}

export async function forkWorkflow(engine: Engine, sourceId: string, options?: ForkOptions): Promise<ForkResult> {
  validateId('workflowId', sourceId);
  const { fromSeq, workflowId } = checkForkOptions(options);
  const newId = workflowId ?? guid();
  const main = (await engine.query(manage.readMainThread, { jobId: sourceId })).rows[0];
  if (!main) throw new JobNotFoundError(sourceId);
  // journal retention (migration 0043) deleted what a replay needs: running it again would redo every step
  if (main.compacted) throw new WorkflowStateError(sourceId, 'fork', `${main.status} with its journal compacted`, 'uncompacted');
  const topic = workflowTopic(main.task_queue, main.workflow_name);
  // by default every call delivered before the first that failed (issue 8: "all completed calls"): a
  // fork of a failed job runs the failed call again, with the code deployed since, instead of
  // replaying its failure (a black-box pass: the fork failed at once with the original's error)
  const seq = fromSeq ?? (main.first_failed_seq === null ? null : Number(main.first_failed_seq) - 1);
  const res = await engine.query(manage.forkJob, { sourceId, newId, seq, topic, channel: engine.channel }).catch((err: unknown) => {
    throw prunedContextError(err, 'fromSeq');
  });
  const outcome = res.rows[0]?.outcome ?? 'not-found';
  if (outcome === 'not-found') throw new JobNotFoundError(sourceId);
  if (outcome === 'duplicate') throw new DuplicateJobError(newId);
  engine.localWake(topic);
  instruments().started.add(1, { 'hotmesh.app_id': engine.appId, 'hotmesh.workflow_name': main.workflow_name });
  return { workflowId: newId, workflowName: main.workflow_name, taskQueue: main.task_queue, contextVersion: Number(outcome.slice('forked:'.length)) };
}
