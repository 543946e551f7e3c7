/**
 * Children a run started with startChild, not runnable yet (startChildFromThread holds each for a
 * second). The run releases them (releaseStartedChild) once its next statement has committed, the call
 * after startChild (typically an interrupt of that child) must land first, when it runs an inline
 * activity (which writes nothing before it runs), or when it ends. If none of these comes (the run
 * died), the hold runs out by itself.
 */
import type { Engine } from '../../engine/engine.js';
import * as children from '../../sql/queries/children.js';
import { errField, type Logger } from '../../telemetry/logger.js';

/** A child started with startChild and not runnable yet. */
export interface HeldChild {
  id: string;
  topic: string;
}

export class HeldChildren {
  private held: HeldChild[] = [];

  constructor(
    private readonly engine: Engine,
    private readonly log: Logger,
  ) {}

  add(child: HeldChild): void {
    this.held.push(child);
  }

  /**
   * Release the children held now once `statement` has settled, whatever it answered (a run ends on a
   * failed statement anyway); children held meanwhile wait for the next one.
   */
  after<T>(statement: () => Promise<T>): Promise<T> {
    // nothing held (nearly every statement): the statement's own promise, no hop of ours on the step path
    return this.held.length === 0 ? statement() : this.releasingAfter(statement, this.take());
  }

  private async releasingAfter<T>(statement: () => Promise<T>, taken: HeldChild[]): Promise<T> {
    try {
      return await statement();
    } finally {
      this.release(taken);
    }
  }

  /** Release the children held now. */
  releaseNow(): void {
    if (this.held.length > 0) this.release(this.take());
  }

  private take(): HeldChild[] {
    const taken = this.held;
    this.held = [];
    return taken;
  }

  private release(taken: HeldChild[]): void {
    const { engine } = this;
    for (const child of taken) {
      engine
        .query(children.releaseStartedChild, { childId: child.id, channel: engine.channel, origin: engine.origin })
        .then(
          () => engine.localWake(child.topic),
          (err: unknown) => this.log.warn({ err: errField(err), childId: child.id }, 'could not release a started child: it runs a second after its start'),
        );
    }
  }
}
