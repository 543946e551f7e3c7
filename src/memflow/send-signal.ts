/**
 * Signals from outside (handle.signal to one job, client.workflow.signal to the app): one SQL call
 * (migration 0019), which delivers, keeps, or refuses the signal, and recognises a retry by its key.
 * The delivery is a span `signal <id>` in the caller's trace (with the outcome: delivered, kept, ...).
 */
import type { Engine } from '../engine/engine.js';
import { JobFinishedError, JobNotFoundError } from '../errors.js';
import { encodeJson } from '../json-value.js';
import * as signals from '../sql/queries/signals.js';
import { clientSpan } from '../telemetry/tracing.js';
import { validateId, validateOptions, validatePositiveSeconds } from '../validation.js';


export interface SignalOptions {
  /**
   * Idempotency key. A signal with the same key, signal id and addressee (the job, or the app) sent
   * within 7 days is taken for a retry of the first (a client that lost the reply) and applies
   * nothing: the retry resolves as the first did, even if the job has finished since. Default: none
   * (every send applies).
   */
  signalKey?: string;
  /**
   * Seconds a signal nobody waits for yet is kept for the next waitFor, then dropped. Default: 7 days
   * for an app-wide signal; for a job-addressed one, no deadline of its own (it is kept while a thread
   * of the job is running or parked, and dropped once none is).
   */
  expire?: number;
}

/** Validate before any SQL runs (and before the client opens its engine). */
export function prepareSignal(signalId: string, data: unknown, given?: SignalOptions) {
  validateId('signalId', signalId);
  const options = validateOptions<SignalOptions>('signal options', given, ['signalKey', 'expire']);
  const json = encodeJson('signal data', data) ?? 'null';
  const signalKey = options.signalKey === undefined ? null : validateId('signalKey', options.signalKey);
  const expireSeconds = validatePositiveSeconds('expire', options.expire) ?? null;
  return { signalId, data: json, signalKey, expireSeconds };
}

/**
 * Send to job `jobId`: its newest waiter on `signalId` gets it, or it is kept for the job's next
 * waitFor. Rejects with JobNotFoundError when there is no such job, and with JobFinishedError when no
 * thread of the job is running or parked (a hook running on a finished job still receives signals).
 */
export async function signalJob(engine: Engine, jobId: string, signalId: string, data: unknown, options?: SignalOptions): Promise<void> {
  const prepared = prepareSignal(signalId, data, options);
  const attributes = { 'hotmesh.app_id': engine.appId, 'hotmesh.job_id': jobId, 'hotmesh.signal_id': signalId };
  await clientSpan(`signal ${signalId}`, attributes, async (span) => {
    const res = await engine.query(signals.signalJob, { jobId, ...prepared });
    const outcome = res.rows[0]!.outcome;
    span.setAttribute('hotmesh.signal_outcome', outcome);
    if (outcome === 'not-found') throw new JobNotFoundError(jobId);
    if (outcome === 'finished') throw new JobFinishedError(jobId, signalId);
  });
}

/** Send to every thread of the app waiting on `signalId`, or keep it (7 days by default) for the next one. */
export async function signalApp(engine: Engine, prepared: ReturnType<typeof prepareSignal>): Promise<void> {
  await clientSpan(`signal ${prepared.signalId}`, { 'hotmesh.app_id': engine.appId, 'hotmesh.signal_id': prepared.signalId }, async (span) => {
    const res = await engine.query(signals.signalApp, { ...prepared, expireSeconds: prepared.expireSeconds ?? signals.SIGNAL_RETENTION_SECONDS });
    span.setAttribute('hotmesh.signal_outcome', res.rows[0]!.outcome);
  });
}
