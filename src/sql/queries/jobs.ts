/**
 * Named queries on jobs (and the main thread they start with). `{{schema}}` is the app's quoted schema.
 */
import type { StoredFailure } from '../../errors.js';
import { type CallPositionParams, defineQuery } from '../define-query.js';
import type { ClaimedRow } from '../../worker/claimed-task.js';

/** What a new job's row is made of (JSON as text: its arguments, options and search fields). */
export interface NewJobRow {
  jobId: string;
  entity: string | null;
  workflowName: string;
  taskQueue: string;
  input: string;
  options: string;
  search: string;
}

/**
 * Start a job: the job row, its search fields (already `_`-prefixed), its main thread, its first
 * task and the wake-up, in one round trip (one plpgsql call, migrations 0010 and 0032). With an
 * `owner` (a worker of this process with a free slot), the task is created held by that worker for
 * `leaseSeconds` and no wake-up goes out, and the worker runs it at once. The answer is what the
 * database decided (StartAnswer): the task's id and claims, the arguments and options as stored, its
 * clock. The starting process completes it into the row a claim would have answered
 * (memflow/start-job.ts startedRow). The function's other 15 columns repeat what was sent or are the
 * same for every new job; a group of 16 starts that left them out measured 0.81 ms instead of 0.93
 * (the starting process's CPU 117 µs instead of 195, the server's 600 instead of 653). No row: the id
 * is taken (the unique key decides, never a check in JavaScript).
 */
export const startJob = defineQuery<
  NewJobRow & {
    parentId: string | null;
    topic: string;
    channel: string;
    origin: string;
    owner: string | null;
    leaseSeconds: number | null;
    /** A task nobody holds NOTIFYs its topic (false: only this process serves it; migration 0047). */
    notify: boolean;
  },
  StartAnswer
>(/* sql */ `
SELECT id, claims, args, job_options, db_now
  FROM {{schema}}.start_job_held($jobId, $entity, $workflowName, $taskQueue, $input::jsonb, $options::jsonb, $search::jsonb,
                                 $parentId, $topic, $channel, $origin, $owner, $leaseSeconds::float8, $notify::boolean)`);

/**
 * Start a job paused (`start({ pending })`, migration 0069): created with its search fields, run only
 * once `resume` releases it, scrubbed by the retention sweep if that does not come within
 * `pendingSeconds`. Answers whether it was created (false: the id is taken).
 */
export const startPendingJob = defineQuery<
  NewJobRow & {
    topic: string;
    origin: string;
    pendingSeconds: number;
  },
  { created: boolean }
>(/* sql */ `
SELECT {{schema}}.start_job_pending($jobId, $entity, $workflowName, $taskQueue, $input::jsonb, $options::jsonb, $search::jsonb,
                                    NULL, $topic, $origin, $pendingSeconds::float8) AS created`);

/** startJob for several starts at once (group commit, migration 0050): `items` a JSON array of its params. */
export const startJobs = defineQuery<{ items: string }, StartAnswer & { idx: number }>(/* sql */ `
SELECT idx, id, claims, args, job_options, db_now FROM {{schema}}.start_jobs_held($items::jsonb)`);

/** What a start answers: the columns of the row a claim would have answered that the database decided. */
export type StartAnswer = Pick<ClaimedRow, 'id' | 'claims' | 'args' | 'job_options' | 'db_now'>;

/**
 * A held start whose reply was lost (the connection dropped): if it committed, its task is held by a
 * worker that never got it. Give it back, runnable now, and wake the topic (it is free of any claim:
 * `claims` is still the start's 1).
 */
export const releaseUntakenStart = defineQuery<{ jobId: string; owner: string; channel: string; origin: string }>(/* sql */ `
WITH released AS (
  UPDATE {{schema}}.tasks SET lease_owner = NULL, run_at = now()
   WHERE job_id = $jobId AND thread = 'main' AND seq = 0 AND lease_owner = $owner AND claims = 1
  RETURNING topic
)
SELECT pg_notify($channel, topic || $origin) FROM released`);

export interface JobRow {
  id: string;
  entity: string | null;
  workflow_name: string;
  task_queue: string;
  status: string;
  input: unknown;
  output: unknown;
  output_undefined: boolean;
  error: StoredFailure | null;
  context: unknown;
  context_version: string;
  search: unknown;
  options: unknown;
  created_at: Date;
  updated_at: Date;
  completed_at: Date | null;
  expire_at: Date | null;
}

/** The job's state as handles read it. */
export const readJob = defineQuery<{ jobId: string }, JobRow>(/* sql */ `
SELECT id, entity, workflow_name, task_queue, status, input, output, output IS NULL AS output_undefined,
       error, context, context_version, search, options, created_at, updated_at, completed_at, expire_at
  FROM {{schema}}.jobs WHERE id = $jobId`);

export const readJobStatus = defineQuery<
  { jobId: string },
  { status: string; output: unknown; output_undefined: boolean; error: StoredFailure | null }
>(/* sql */ `
SELECT status, output, output IS NULL AS output_undefined, error FROM {{schema}}.jobs WHERE id = $jobId`);

/**
 * readJobStatus for a waiter the job's finish would not tell otherwise (not the engine that started
 * it): marks the job watched, so its finish sends the `done:` NOTIFY (migration 0047). An UPDATE, so
 * that it and the finish are serialised by the row lock: either the finish sees the mark, or this
 * returns the finished status.
 */
export const watchJobStatus = defineQuery<
  { jobId: string },
  { status: string; output: unknown; output_undefined: boolean; error: StoredFailure | null }
>(/* sql */ `
UPDATE {{schema}}.jobs SET watched = true WHERE id = $jobId
RETURNING status, output, output IS NULL AS output_undefined, error`);

/**
 * The retention sweep of expired jobs (only jobs started with `expire` have a retention): lock the due
 * jobs, then delete those no hook runs or waits on, with all their rows, in two statements of one
 * function (migration 0065: a hook start being accepted meanwhile is never deleted with its job). One
 * process per app at a time (`lockKey`, a try-lock: a sweeper that finds it taken skips the round,
 * `held` false). `locked` equal to `batch`: more may be due now. Also answers when the next job
 * expires (ms from now; null: none), so the sweeper can come back then.
 */
export const sweepExpiredJobs = defineQuery<
  { lockKey: string; batch: number },
  { held: boolean; locked: number; deleted: number; next_in_ms: number | null }
>(/* sql */ `
SELECT held, locked, deleted, next_in_ms FROM {{schema}}.sweep_expired_jobs($lockKey, $batch::int)`);

interface InterruptParams {
  targetId: string;
  error: string;
  descend: boolean;
  expireSeconds: number | null;
}

/**
 * Interrupt job `targetId` (and its descendants with `descend`); `error` is what it stores. It locks
 * the job, its descendants and the jobs whose execHook waits on its hooks, in id order; a hook started
 * on one of them meanwhile can still make it a deadlock victim: run again (one statement, atomic).
 */
export const interruptJob = defineQuery<InterruptParams, { id: string }>(
  /* sql */ `
SELECT id FROM {{schema}}.interrupt_job($targetId, $error::jsonb, $descend, $expireSeconds::float8) AS id`,
  { retryConflicts: true },
);

/** interrupt() from a thread: fenced, journaled at (seq, batch). */
export const interruptFromThread = defineQuery<
  CallPositionParams & InterruptParams & { suppress: boolean },
  { held: number; ended: number; journaled: number; exists: boolean }
>(/* sql */ `
WITH lease AS (
  SELECT 1 WHERE {{schema}}.lease_held($taskId, $claims)
), ended AS (
  SELECT {{schema}}.interrupt_job($targetId, $error::jsonb, $descend, $expireSeconds::float8) AS id FROM lease
), journal AS (
  INSERT INTO {{schema}}.journal (job_id, thread, seq, kind, name, status, result, batch)
  SELECT $jobId, $thread, $seq, 'interrupt', $targetId, 'done', to_jsonb($targetId::text), $batch FROM lease
   WHERE $suppress::boolean OR EXISTS (SELECT 1 FROM ended)
  RETURNING seq
)
SELECT (SELECT count(*) FROM lease)::int AS held, (SELECT count(*) FROM ended)::int AS ended,
       (SELECT count(*) FROM journal)::int AS journaled,
       EXISTS (SELECT 1 FROM {{schema}}.jobs WHERE id = $targetId) AS exists`);

/** Publish emit() events on the app channel, journaled once at (seq, batch). */
export const emitFromThread = defineQuery<CallPositionParams & { channel: string; payloads: string; name: string }, { journaled: number; sent: number }>(/* sql */ `
WITH lease AS (
  SELECT 1 WHERE {{schema}}.lease_held($taskId, $claims)
), sent AS (
  SELECT pg_notify($channel, 'emit:' || e.value) FROM lease, jsonb_array_elements_text($payloads::jsonb) AS e(value)
), journal AS (
  INSERT INTO {{schema}}.journal (job_id, thread, seq, kind, name, status, result, batch)
  SELECT $jobId, $thread, $seq, 'emit', $name, 'done', 'true', $batch FROM lease
  RETURNING seq
)
SELECT (SELECT count(*) FROM journal)::int AS journaled, (SELECT count(*) FROM sent)::int AS sent`);

/** Publish events on the app channel now, outside any journal (`emit(..., { once: false })`). */
export const publishEvent = defineQuery<{ channel: string; payload: string }>(/* sql */ `
SELECT pg_notify($channel, $payload)`);
