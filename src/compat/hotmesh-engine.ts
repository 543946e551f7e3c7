/**
 * What upstream calls the engine instance (`handle.hotMesh`, `client.getHotMeshClient()`,
 * `MemFlow.workflow.getHotMesh()`): the app's id, plus interrupt. Kept for upstream code; new code
 * uses handles.
 */
import type { Engine } from '../engine/engine.js';
import { interruptJob } from '../memflow/interrupt-job.js';
import type { InterruptOptions } from '../replay/durable-call.js';

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
