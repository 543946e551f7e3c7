/**
 * Named queries for child workflows: a child is a job of its own (its own context), linked to the
 * thread that started it. When an awaited child's main thread ends, its result is journaled into
 * the parent's thread at the call's seq, and the parent is woken (see finish_thread).
 */
import { type CallPositionParams, defineQuery } from '../define-query.js';

/** The link a child job keeps to the thread that started it (`jobs.options.parent`). */
export interface ParentLink {
  job: string;
  thread: string;
  seq: number;
  await: boolean;
}

/**
 * Start child job `childId` from a thread (fenced). `options` carry the parent link. With `detached`
 * (startChild) the call is journaled at once with the child's id; execChild instead waits for the
 * child to finish. Answers whether the job was created and, if it already existed, the parent link it
 * has (so a replay recognises its own child).
 */
export const startChildFromThread = defineQuery<
  CallPositionParams & {
    childId: string;
    entity: string | null;
    workflowName: string;
    taskQueue: string;
    args: string | null;
    options: string;
    topic: string;
    detached: boolean;
    channel: string;
    origin: string;
  },
  { held: number; created: number; notified: number; existing_parent: ParentLink | null }
>(/* sql */ `
WITH lease AS (
  SELECT 1 WHERE {{schema}}.lease_held($taskId, $claims)
), job AS (
  INSERT INTO {{schema}}.jobs (id, entity, workflow_name, task_queue, input, options, parent_id)
  SELECT $childId, $entity, $workflowName, $taskQueue, $args::jsonb, $options::jsonb, $jobId FROM lease
  ON CONFLICT (id) DO NOTHING
  RETURNING id
), thread AS (
  INSERT INTO {{schema}}.threads (job_id, thread, workflow_name, task_queue, args)
  SELECT id, 'main', $workflowName, $taskQueue, $args::jsonb FROM job
), task AS (
  -- a child started without waiting (startChild) is held until the parent's next statement has
  -- committed (releaseStartedChild), so that call (typically interrupt) lands before the child can run
  -- to completion; a parent that dies first leaves it runnable a second later
  INSERT INTO {{schema}}.tasks (job_id, thread, kind, topic, run_at)
  SELECT id, 'main', 'thread', $topic, now() + CASE WHEN $detached::boolean THEN interval '1 second' ELSE interval '0' END FROM job
), journal AS (
  INSERT INTO {{schema}}.journal (job_id, thread, seq, kind, name, status, result, batch)
  SELECT $jobId, $thread, $seq, 'start', $workflowName, 'done', to_jsonb($childId::text), $batch FROM job WHERE $detached::boolean
), wake AS (
  SELECT pg_notify($channel, $topic || $origin) FROM job
)
SELECT (SELECT count(*) FROM lease)::int AS held, (SELECT count(*) FROM job)::int AS created,
       (SELECT count(*) FROM wake)::int AS notified,
       (SELECT options -> 'parent' FROM {{schema}}.jobs WHERE id = $childId) AS existing_parent`);

/**
 * A child started with startChild, held until its parent's next statement committed (see
 * startChildFromThread): runnable now, and its topic woken. A no-op once it was ever claimed
 * (`claims` > 0: the fallback let it run, and it may sleep, wait, back off or be parked now).
 */
export const releaseStartedChild = defineQuery<{ childId: string; channel: string; origin: string }>(/* sql */ `
WITH released AS (
  UPDATE {{schema}}.tasks SET run_at = now()
   WHERE job_id = $childId AND thread = 'main' AND kind = 'thread' AND lease_owner IS NULL AND claims = 0 AND run_at > now()
  RETURNING topic
)
SELECT pg_notify($channel, topic || $origin) FROM released`);
