/**
 * The RunPort of one claimed thread task: new-ground calls go to their executor (worker/calls/), and
 * results that completed outside the run are stamped with the batch that delivered them.
 */
import { ErrorCode, isHotMeshError, LeaseLostError, type StoredFailure } from '../errors.js';
import { toFailure, withCode } from '../failure-codec.js';
import type { IssuedCall } from '../replay/durable-call.js';
import type { CallOutcome, JournalEntry } from '../replay/journal-entry.js';
import type { DueTimer, RunPort } from '../replay/run-port.js';
import * as journal from '../sql/queries/journal.js';
import * as manage from '../sql/queries/manage.js';
import { isDeterministicDbError } from '../storage/transient-error.js';
import type { CallSite } from './calls/call-site.js';
import { toJournalEntry } from './claimed-task.js';
import { executeCall } from './calls/index.js';

/** An error the call's own input causes (a typed error that running again cannot mend). */
function isBadInput(err: unknown): boolean {
  return isHotMeshError(err) && !(err instanceof LeaseLostError) && err.retryable === false && err.kind !== 'CancelledError';
}

export class ThreadPort implements RunPort {
  constructor(private readonly site: CallSite) {}

  now(): number {
    return this.site.now();
  }

  execute(call: IssuedCall, batch: () => number, previous: JournalEntry | undefined): Promise<CallOutcome> {
    // counted as executing from here: a result of another call that arrives meanwhile is written at once
    return this.site.executingCall(async () => {
      const { guard } = this.site;
      if (!guard.confirmed) await guard.ensure(); // a run whose lease is lost starts nothing new
      // the results before this call commit before it starts (a crash during it does not run them again)
      if (this.site.mustFlush) {
        await this.site.flush();
        if (!guard.confirmed) await guard.ensure(); // that write may have waited past the lease (paused-worker.test.ts)
      }
      try {
        return await executeCall(this.site, call, batch, previous);
      } catch (err) {
        // lease lost, database unreachable: abort the run (the next claim runs it again)
        if (!isDeterministicDbError(err) && !isBadInput(err)) throw err;
        // the same statement (or the same input: activity arguments JSON cannot hold, a retry policy
        // that does not parse) would fail on every run: fail the call instead. Aborted, the run was
        // given back and claimed again every second, and the job never ended.
        return this.site.journal(call, batch(), { type: 'failed', error: withCode(toFailure(err), ErrorCode.FATAL) });
      }
    });
  }

  async poll(seqs: number[]): Promise<JournalEntry[]> {
    const { jobId, thread } = this.site.task;
    const res = await this.site.query(journal.readJournalRows, { jobId, thread, seqs });
    return res.rows.map(toJournalEntry);
  }

  async cancel(batch: number, calls: IssuedCall[], failure: StoredFailure): Promise<void> {
    const res = await this.site.query(manage.cancelCalls, {
      ...this.site.lease(),
      batch,
      calls: JSON.stringify(calls.map((c) => ({ seq: c.seq, kind: c.kind, name: c.name }))),
      failure: JSON.stringify(failure),
    });
    if (res.rows.length < calls.length) this.site.leaseLost();
  }

  async stamp(batch: number, seqs: number[], timers: DueTimer[]): Promise<void> {
    if (!this.site.guard.confirmed) await this.site.guard.ensure();
    this.site.deferStamp({ batch, seqs, timers: timers.map((t) => ({ seq: t.seq, name: t.name, value: t.value ?? null })) });
  }
}
