/**
 * Interrupting a job from outside (handle.interrupt, hotMesh.interrupt): the same SQL function a
 * workflow's interrupt() uses.
 */
import type { Engine } from '../engine/engine.js';
import { JobNotFoundError } from '../errors.js';
import { validateId } from '../validation.js';
import { interruptError, type InterruptOptions } from '../workflow/interrupt.js';

export async function interruptJob(engine: Engine, jobId: string, options: InterruptOptions = {}): Promise<string> {
  validateId('workflowId', jobId);
  const error = interruptError(jobId, options);
  const res = await engine.query<{ id: string }>('interruptJob', [jobId, JSON.stringify(error), options.descend === true, options.expire ?? null]);
  for (const r of res.rows) engine.localDone(r.id);
  if (res.rows.some((r) => r.id === jobId) || options.suppress) return jobId;
  const exists = await engine.query('readJobStatus', [jobId]);
  if (exists.rowCount === 0) throw new JobNotFoundError(jobId);
  throw new Error(`Job ${jobId} already completed`);
}

/** What upstream calls the engine instance (`handle.hotMesh`): the app, plus interrupt. */
export class HotMeshEngine {
  constructor(readonly engine: Engine) {}
  get appId(): string {
    return this.engine.appId;
  }
  get namespace(): string {
    return this.engine.appId;
  }
  /** `interrupt(topic, jobId, options)`; the topic is accepted for compatibility and not needed. */
  interrupt(_topic: string, jobId: string, options?: InterruptOptions): Promise<string> {
    return interruptJob(this.engine, jobId, options);
  }
}
