/**
 * What a job's `done:` message says, and the watches that keep it for result().
 *
 * `finish_thread_noticed` (migration 0032) sends `done:<jobId>\n{"s": status, "o": output, "e": error}`
 * when that fits in a NOTIFY, else `done:<jobId>`. A watch is set on a job before the statement that
 * starts it, so no message about it can come before the watch: while the app's LISTEN connection
 * stays up, a watch that heard nothing means the job has not finished, and result() needs no read
 * to learn it (before this, every result() read the job row once on entry and once more after the
 * message: two of the six statements of a 1-step workflow).
 */
import type { StoredFailure } from '../errors.js';

/** A job's outcome as its finish message carried it (the job row's status, output and error). */
export interface FinishNotice {
  status: string;
  output: unknown;
  outputUndefined: boolean;
  error: StoredFailure | null;
}

/** A `done:` payload: the job id, and the outcome when the message carried it. */
export function parseDone(payload: string): { jobId: string; notice?: FinishNotice } {
  const rest = payload.slice('done:'.length);
  const nl = rest.indexOf('\n');
  if (nl < 0) return { jobId: rest };
  const jobId = rest.slice(0, nl);
  try {
    const body = JSON.parse(rest.slice(nl + 1)) as { s?: unknown; o?: unknown; e?: StoredFailure };
    if (typeof body.s !== 'string') return { jobId };
    return { jobId, notice: { status: body.s, output: body.o, outputUndefined: !('o' in body), error: body.e ?? null } };
  } catch {
    return { jobId }; // not ours to judge: the waiter reads the row
  }
}

/** How long a watch is kept for a result() that may never come; later, result() reads the row. */
const WATCH_MS = 60_000;
/** At most this many watches per engine (a process starting jobs it never awaits). */
const MAX_WATCHES = 50_000;

/** One job watched from before its start: what its finish message said, if one came. */
export class FinishWatch {
  /** A `done:` message came (with `notice` when it carried the outcome). */
  heard = false;
  notice: FinishNotice | undefined;
  readonly at = Date.now();

  constructor(
    readonly jobId: string,
    /** LISTEN outages counted when the watch was set; undefined: set during one (never trusted). */
    readonly outages: number | undefined,
  ) {}
}

export class FinishWatches {
  private readonly watches = new Map<string, FinishWatch>();
  private outages = 0;
  private listening = true;

  /** Watch `jobId` (call before the statement that starts it). */
  watch(jobId: string): FinishWatch {
    this.evict();
    const w = new FinishWatch(jobId, this.listening ? this.outages : undefined);
    this.watches.set(jobId, w);
    return w;
  }

  /** The start failed: nothing to watch. */
  drop(w: FinishWatch): void {
    if (this.watches.get(w.jobId) === w) this.watches.delete(w.jobId);
  }

  /** A `done:` message for `jobId` came (over LISTEN, or from this process's own finish). */
  heard(jobId: string, notice: FinishNotice | undefined): void {
    const w = this.watches.get(jobId);
    if (!w) return;
    this.watches.delete(jobId);
    w.heard = true;
    w.notice = notice;
  }

  /** The LISTEN connection was lost: messages may be missed until it is back. */
  listenerLost(): void {
    this.outages++;
    this.listening = false;
  }

  listenerBack(): void {
    this.listening = true;
  }

  /**
   * Whether silence on `w` means its job has not finished: it is still watched (not evicted, not
   * replaced) and the LISTEN connection has been up all along since it was set.
   */
  trusted(w: FinishWatch): boolean {
    return this.listening && w.outages === this.outages && this.watches.get(w.jobId) === w;
  }

  private evict(): void {
    const old = Date.now() - WATCH_MS;
    for (const [id, w] of this.watches) {
      if (w.at > old && this.watches.size < MAX_WATCHES) break;
      this.watches.delete(id);
    }
  }
}
