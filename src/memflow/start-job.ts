/**
 * Starting a job: validate everything first, then one statement creates the job row, its main thread
 * and its first task (and NOTIFYs the workers of its topic).
 */
import type { Engine } from '../engine/engine.js';
import { DuplicateJobError, ValidationError } from '../errors.js';
import { encodeJson } from '../json-value.js';
import { validateArgs, validateFlag, validateId, validatePositiveSeconds, validateRetry, validateRoute } from '../validation.js';
import type { RetryConfig } from '../replay/durable-call.js';
import * as jobs from '../sql/queries/jobs.js';
import type { FinishWatch } from '../engine/finish-notices.js';
import type { StartParams } from '../engine/write-lane.js';
import type { StartAnswer } from '../sql/queries/jobs.js';
import type { ClaimedRow } from '../worker/claimed-task.js';
import { workflowTopic } from '../topics.js';
import { instruments } from '../telemetry/metrics.js';
import { currentTraceContext } from '../telemetry/tracing.js';
import { checkIndexable, searchData } from '../search-rules.js';
import { guid } from './guid.js';

export interface WorkflowOptions {
  /** Arguments spread into the workflow function. Default []. */
  args?: unknown[];
  /** The worker queue. Optional only when `entity` is given. */
  taskQueue?: string;
  /** The workflow function's name. Optional only when `entity` is given. */
  workflowName?: string;
  /** The job id. Default (or ''): a new guid(). */
  workflowId?: string;
  /** The app id (schema). Default 'memflow'. */
  namespace?: string;
  /** Stored on the job row (queried by Entity.find and the README's partial-index recipe). */
  entity?: string;
  /**
   * Seconds to keep the job after it finishes. Default: kept (permanent memory). Upstream's default
   * was 1 second; pass `expire` to get that behaviour.
   */
  expire?: number;
  /** Workflow-level retry policy for a function that throws (defaults 3 / 10 / '120s'). */
  config?: RetryConfig;
  /** Searchable string fields seeded with the job. */
  search?: { data?: Record<string, string> };
  /** false: the job accepts no hooks. Default: hooks may attach at any time, even after it finished. */
  signalIn?: boolean;
  /**
   * Seconds: create the job paused (its id taken, its search fields stored); it runs once
   * `handle.resume()` releases it, and is scrubbed if that does not come within this time.
   */
  pending?: number;
  /** Accepted for compatibility. */
  [key: string]: unknown;
}

export interface StartedJob {
  engine: Engine;
  workflowId: string;
  topic: string;
  /** The job's finish message, watched from before the start (result() reads nothing while it is silent). */
  watch: FinishWatch;
}

/** A start's options, validated, as the job row's parameters (prepareStart). */
export type PreparedStart = ReturnType<typeof prepareStart>;

/** Validate start options and build the job row's parameters, before any SQL. */
export function prepareStart(options: WorkflowOptions) {
  if (!options || typeof options !== 'object') throw new ValidationError('options', 'must be an object');
  const entity = options.entity === undefined ? undefined : validateId('entity', options.entity);
  const { taskQueue, workflowName } = validateRoute(options, entity);
  const workflowId = options.workflowId === undefined || options.workflowId === '' ? guid() : validateId('workflowId', options.workflowId);
  const args = validateArgs(options.args);
  const expire = validatePositiveSeconds('expire', options.expire);
  const pending = validatePositiveSeconds('pending', options.pending);
  if (pending === 0) throw new ValidationError('pending', 'must be a positive number of seconds (the time a resume has to come)');
  validateFlag('signalIn', options.signalIn);
  // the caller's active span: every run of the job continues its trace (telemetry/tracing.ts)
  const jobOptions = { expire, config: validateRetry('config', options.config), signalIn: options.signalIn === false ? false : undefined, trace: currentTraceContext() };
  const search = checkIndexable(searchData(options.search) ?? {});
  return {
    entity,
    taskQueue,
    workflowName,
    workflowId,
    topic: workflowTopic(taskQueue, workflowName),
    input: encodeJson('args', args)!,
    options: encodeJson('options', jobOptions)!,
    search: encodeJson('search', search)!,
    /** Seconds the job waits paused for a resume (start({ pending })); undefined: it starts at once. */
    pending,
  };
}

/**
 * Start a job, its options validated already (prepareStart, called once: it also draws the id when
 * none is given). When a worker of this process serves its topic and has a free slot, the job is
 * created held by that worker, which runs it at once: no NOTIFY, no claim (migration 0032).
 */
export async function startJob(engine: Engine, p: PreparedStart, parentId: string | null = null): Promise<StartedJob> {
  const watch = engine.watchFinish(p.workflowId);
  const slot = engine.localTaker?.reserve(p.topic);
  // the topic's only workers are ours (busy, or they would have taken it): they are woken here
  const notify = !slot && !(engine.localTaker?.servesAlone(p.topic) ?? false);
  const params: StartParams = {
    jobId: p.workflowId,
    entity: p.entity ?? null,
    workflowName: p.workflowName,
    taskQueue: p.taskQueue,
    input: p.input,
    options: p.options,
    search: p.search,
    parentId,
    topic: p.topic,
    channel: engine.channel,
    origin: engine.origin,
    owner: slot?.owner ?? null,
    leaseSeconds: slot?.leaseSeconds ?? null,
    notify,
  };
  const sentAt = performance.now();
  let answer: StartAnswer | undefined;
  try {
    // grouped with concurrent starts and finishes of this engine into one statement when one is in flight
    answer = await engine.writes.start(params);
  } catch (err) {
    engine.unwatchFinish(watch);
    if (slot) {
      // the start may have committed with only its reply lost: give its task back, runnable now
      const giveBack = engine
        .query(jobs.releaseUntakenStart, { jobId: p.workflowId, owner: slot.owner, channel: engine.channel, origin: engine.origin })
        .then(() => engine.localWake(p.topic))
        .catch(() => {});
      slot.cancel(giveBack);
    } else if (!notify) {
      engine.localWake(p.topic); // the start may have committed with no NOTIFY: our workers look
    }
    throw err;
  }
  if (!answer) {
    engine.unwatchFinish(watch);
    slot?.cancel();
    throw new DuplicateJobError(p.workflowId);
  }
  if (slot) slot.take(startedRow(params, answer), sentAt);
  else engine.localWake(p.topic);
  instruments().started.add(1, { 'hotmesh.app_id': engine.appId, 'hotmesh.workflow_name': p.workflowName });
  return { engine, workflowId: p.workflowId, topic: p.topic, watch };
}

/**
 * Start a job paused (`start({ pending: seconds })`): created with its id and search fields, run only
 * once `handle.resume()` releases it; one not resumed within `pendingSeconds` is scrubbed by the
 * retention sweep. Never taken by a local worker, no NOTIFY (nothing may run it yet).
 */
export async function startPendingJob(engine: Engine, p: PreparedStart, pendingSeconds: number): Promise<StartedJob> {
  const watch = engine.watchFinish(p.workflowId);
  let created: boolean;
  try {
    const res = await engine.query(jobs.startPendingJob, {
      jobId: p.workflowId,
      entity: p.entity ?? null,
      workflowName: p.workflowName,
      taskQueue: p.taskQueue,
      input: p.input,
      options: p.options,
      search: p.search,
      topic: p.topic,
      origin: engine.origin,
      pendingSeconds,
    });
    created = res.rows[0]!.created;
  } catch (err) {
    engine.unwatchFinish(watch);
    throw err;
  }
  if (!created) {
    engine.unwatchFinish(watch);
    throw new DuplicateJobError(p.workflowId);
  }
  instruments().started.add(1, { 'hotmesh.app_id': engine.appId, 'hotmesh.workflow_name': p.workflowName });
  // a worker of the app in this process sweeps it when it expires (the others' rounds come within 15 s)
  engine.localTaker?.expiresIn(pendingSeconds * 1000);
  return { engine, workflowId: p.workflowId, topic: p.topic, watch };
}

/**
 * A start's answer (jobs.startJob) completed into the row a claim would have answered: a new job's
 * main thread, at seq 0, never run, with an empty journal, as start_job_held builds it.
 */
export function startedRow(params: StartParams, answer: StartAnswer): ClaimedRow {
  return {
    id: answer.id,
    job_id: params.jobId,
    thread: 'main',
    seq: 0,
    kind: 'thread',
    topic: params.topic,
    claims: answer.claims,
    wakeups: 0,
    payload: null,
    workflow_name: params.workflowName,
    task_queue: params.taskQueue,
    args: answer.args,
    failures: 0,
    thread_status: 'running',
    job_options: answer.job_options,
    entity: params.entity,
    job_status: 'running',
    db_now: answer.db_now,
    journal: [],
    ready_at: null,
    job_created_at: null,
    thread_trace: null,
  };
}
