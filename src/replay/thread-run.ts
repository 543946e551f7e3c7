/**
 * One run of one thread: the deterministic core. Journal in, durable calls out.
 *
 * The function runs once, continuously, while it can make progress; it is replayed from the top only
 * when a run starts (after a crash, a suspension, or on another worker). Results reach the function in
 * numbered *delivery batches*:
 *
 *  - Calls issued while the function runs (until its microtasks drain) form a wave. The calls of a
 *    wave that can complete now (inline activities, context ops, signal sends, hook starts, ...) are
 *    executed together; their results are journaled with the wave's batch number and handed back
 *    together, in seq order. A sequential workflow therefore costs one journal write per step.
 *  - Results that complete outside the run (a timer, a signal, a child, a remote activity) are handed
 *    back at a batch boundary, and the batch that delivered them is stamped on their journal rows.
 *  - Replay hands back the recorded batches in the same order, so every branch of a `Promise.all`
 *    sees its results in the same interleaving as the first run, and seqs repeat exactly.
 *  - When nothing is in flight and only blocked calls remain, the run suspends: it returns the timers
 *    to persist and the earliest due time, and holds nothing.
 *
 * While replaying recorded batches nothing is executed; calls without a journal entry are executed
 * once the recorded batches are exhausted (the "live" phase). This keeps a re-run from delivering a
 * result in a batch where the first run did not.
 */
import { NonDeterminismError, type StoredFailure } from '../errors.js';
import { type CallKind, type CallRequest, type CallRequestOf, type CallResult, describeCall, FIRE_AND_FORGET, type IssuedCall } from './durable-call.js';
import { type CallOutcome, isDeliverable, type JournalEntry } from './journal-entry.js';
import {
  batchContents,
  completionOf,
  deliverableBesides,
  type InFlight,
  nextDueTime,
  type Pending,
  RunEnded,
  suspensionOf,
  waitingOutside,
} from './pending-calls.js';
import type { Completion, RunOutcome, RunPort } from './run-port.js';

export type { Completion, DueTimer, PendingTimer, RunOutcome, RunPort } from './run-port.js';

/**
 * A promise that never settles, new each time: one shared promise collects a reaction from every
 * await and race on it, and keeps each (with the frame awaiting it) for the life of the process.
 */
const never = (): Promise<never> => new Promise<never>(() => {});
/** The calls a function waits on: where a cancellation is delivered. */
const CANCELLABLE: { readonly [K in CallKind]: boolean } = {
  activity: true,
  sleep: true,
  wait: true,
  child: true,
  signal: false,
  hook: false,
  start: false,
  context: false,
  search: false,
  interrupt: false,
  emit: false,
  patch: false,
};
/** How long a run waits on ordinary async code before it gives the worker slot back: 10 minutes. */
const NON_DURABLE_WAIT_MS = 10 * 60 * 1000;
/**
 * While an inline activity runs, how often the run looks for results that arrived from outside (a
 * signal, a child, a remote activity) for calls it is blocked on, so that they can win a race.
 */
const POLL_WHILE_RUNNING_MS = 200;
const drain = () => new Promise<void>((resolve) => setImmediate(resolve));

export class ThreadRun {
  private seq = 0;
  private batch = 0;
  private readonly entries = new Map<number, JournalEntry>();
  private readonly recordedBatches: number;
  private readonly pending = new Map<number, Pending>();
  private readonly inflight = new Map<number, InFlight>();
  /** The batch an execution finishing now journals into (the one being assembled). */
  private open = 0;
  private settled: { ok: true; value: unknown } | { ok: false; error: unknown } | undefined;
  private fatal: RunOutcome | undefined;
  private stopped = false;
  /** Successful results this run produced: a workflow that keeps failing without any is not progressing. */
  private liveWrites = 0;
  private onProgress: (() => void) | undefined;
  /** abort() was called: the run loop stops waiting on anything in flight. */
  private abortCalled = false;
  /** Ends the run loop's current wait (orAborted), if it has one, when abort() is called. */
  private wakeOnAbort: () => void = () => {};

  /** handle.cancel() asked this thread to stop and no wait has thrown the CancelledError yet. */
  private cancelling: StoredFailure | undefined;

  constructor(
    journal: JournalEntry[],
    private readonly port: RunPort,
    /** `seqBase`: the last seq of the thread's earlier runs (continueAsNew); this run counts on from it. */
    private readonly ids: { jobId: string; thread: string; seqBase?: number },
    /** The failure a cancellation request delivers (handle.cancel()), if the job has one. */
    cancel?: StoredFailure,
    /**
     * When that request was made (ms, the database's clock): a timer due after it is cancelled, however
     * late this run comes. Without it, as of this run's clock.
     */
    private readonly cancelAt?: number,
  ) {
    this.seq = ids.seqBase ?? 0;
    let max = 0;
    for (const entry of journal) {
      this.entries.set(entry.seq, entry);
      if (entry.batch !== null && entry.batch > max) max = entry.batch;
    }
    this.recordedBatches = max;
    // delivered once: a journal that holds it already replays it, and the request is spent
    const delivered = journal.some((e) => e.status === 'failed' && e.error?.type === cancel?.type && e.error?.details?.jobId === ids.jobId);
    if (cancel && !delivered) this.cancelling = cancel;
  }

  /** The seq of the last durable call (upstream's `counter`). */
  get counter(): number {
    return this.seq;
  }

  /** True while the run re-executes recorded history. */
  get replaying(): boolean {
    return this.batch < this.recordedBatches;
  }

  /** Every journal entry this run knows of, by seq. */
  journal(): ReadonlyMap<number, JournalEntry> {
    return this.entries;
  }

  /** Take a seq for a call that needs no journal row (random()). */
  takeSeq(): number {
    return ++this.seq;
  }

  /**
   * `patched(id)`: true when this code path is new ground or was recorded with the marker; false when
   * replaying history recorded by code from before the patch (the marker is absent where it would be).
   * A true answer on new ground records the marker, so every later replay answers true again.
   */
  patched(id: string): boolean {
    const next = this.entries.get(this.seq + 1);
    if (next) {
      if (next.kind !== 'patch' || next.name !== id) return false;
      void this.call({ kind: 'patch', name: id });
      return true;
    }
    // no entry here: old history if anything was recorded after this point, new ground otherwise
    for (const seq of this.entries.keys()) if (seq > this.seq) return false;
    void this.call({ kind: 'patch', name: id });
    return true;
  }

  /** `deprecatePatch(id)`: consume the marker if this history has one; record nothing on new ground. */
  deprecatePatch(id: string): void {
    const next = this.entries.get(this.seq + 1);
    if (next?.kind === 'patch' && next.name === id) void this.call({ kind: 'patch', name: id });
  }

  /**
   * Stop now: the run's lease is lost, or the worker is shutting down. The run returns `aborted` with
   * `error` without waiting for calls in flight (an inline activity still running finishes on its
   * own; its result is not journaled), and the function's later calls are never executed.
   */
  abort(error: unknown): void {
    if (this.stopped) return;
    this.fatal ??= { type: 'aborted', error };
    this.abortCalled = true;
    this.wakeOnAbort();
    this.onProgress?.();
  }

  /** How long the run waits on ordinary async code for the function's next call (tests shorten it). */
  nonDurableWaitMs = NON_DURABLE_WAIT_MS;

  /**
   * With no durable call outstanding and the function not settled, it awaits ordinary async code:
   * true once it calls something or settles, false if it did neither within nonDurableWaitMs (and
   * false at once when a durable call is outstanding or it has settled).
   */
  private async awaitedOrdinaryCode(): Promise<boolean> {
    return this.pending.size === 0 && !this.settled && (await this.nonDurableProgress());
  }

  /** Resolves true when the function issues a durable call or settles, false after `maxMs`. */
  private nonDurableProgress(maxMs = this.nonDurableWaitMs): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.onProgress = undefined;
        resolve(false);
      }, maxMs);
      this.onProgress = () => {
        clearTimeout(timer);
        this.onProgress = undefined;
        resolve(true);
      };
    });
  }

  /** Issue a durable call. The promise settles when its result is delivered, or never if the run stops first. */
  call<K extends CallKind>(request: CallRequestOf<K>): Promise<Completion<CallResult<K>>>;
  call(request: CallRequest): Promise<Completion>;
  call(request: CallRequest): Promise<Completion> {
    if (this.stopped || this.fatal) return never();
    const seq = ++this.seq;
    const entry = this.entries.get(seq);
    if (entry && (entry.kind !== request.kind || entry.name !== request.name)) {
      this.nondeterminism(seq, describeCall(entry.kind, entry.name), describeCall(request.kind, request.name));
      return never();
    }
    const promise = new Promise<Completion>((resolve) => {
      // field by field, as the entries below: see docs/design-decisions.md, "No object spread on the hot path"
      const call = { kind: request.kind, name: request.name, input: request.input, seq } as IssuedCall;
      this.pending.set(seq, { call, resolve, blocked: false });
    });
    this.onProgress?.();
    return promise;
  }

  async run(invoke: () => Promise<unknown>): Promise<RunOutcome> {
    invoke().then(
      (value) => {
        this.settled ??= { ok: true, value };
        this.onProgress?.();
      },
      (error) => {
        this.settled ??= { ok: false, error };
        this.onProgress?.();
      },
    );
    try {
      for (;;) {
        await drain();
        if (this.fatal) return this.finish(this.fatal);
        const batch = this.batch + 1;
        if (batch <= this.recordedBatches) {
          // Between two recorded calls the function may await ordinary async code (emit({ once: false })
          // publishes, a plain timer): wait for it, as a live run does below, before taking the replay
          // for divergent. (It was divergent at once: an unchanged workflow that emitted before a sleep
          // parked with 593.)
          if (await this.awaitedOrdinaryCode()) continue;
          this.replayBatch(batch);
          continue;
        }
        if (this.settled) return this.finish(await this.orAborted(this.settle(batch), () => this.fatal!));
        const delivered = await this.orAborted(this.liveBatch(batch), () => false);
        if (this.fatal) return this.finish(this.fatal);
        if (!delivered) {
          if (this.inflight.size > 0) continue; // an inline activity still runs: never suspend under it
          // Nothing durable is pending, yet the function has not returned: it awaits ordinary async
          // code (a plain timer, a fetch). Wait for it to call something or settle; suspending here
          // would leave nothing to wake it.
          if (await this.awaitedOrdinaryCode()) continue;
          return this.finish(this.suspension());
        }
      }
    } catch (error) {
      return this.finish({ type: 'aborted', error });
    }
  }

  /**
   * `work`'s outcome, or `onAbort()` as soon as abort() is called while it runs (it goes on; what it
   * gives is dropped). One wait at a time: the run loop's. (A race with a promise that abort()
   * settles left a reaction on that promise for every wait of the run, kept until the run ended.)
   */
  private orAborted<T>(work: Promise<T>, onAbort: () => T): Promise<T> {
    if (this.abortCalled) {
      work.catch(() => {}); // dropped: its failure is not an unhandled rejection
      return Promise.resolve(onAbort());
    }
    return new Promise<T>((resolve, reject) => {
      this.wakeOnAbort = () => resolve(onAbort());
      work.then(resolve, reject);
    });
  }

  private replayBatch(batch: number): void {
    const due = [...this.entries.values()].filter((e) => e.batch === batch).sort((a, b) => a.seq - b.seq);
    for (const entry of due) {
      if (!this.pending.has(entry.seq)) {
        const what = this.settled ? 'the function finished first' : 'nothing';
        this.nondeterminism(entry.seq, describeCall(entry.kind, entry.name), what);
        return;
      }
    }
    this.deliver(batch, due.map((e) => e.seq));
  }

  /**
   * Execute what can run now, then deliver one batch. Returns false when there is nothing to deliver.
   *
   * The batch closes when every execution it started has finished, or earlier when something else
   * can be delivered while an inline activity still runs: a timer or a waitFor deadline comes due, or
   * a result arrives from outside. An execution that finishes after its batch closed journals into a
   * later one (it asks for its batch only when it writes), so replay hands results back in exactly
   * the order this run did.
   */
  private async liveBatch(batch: number): Promise<boolean> {
    this.open = batch;
    if (this.cancelling) await this.deliverCancel(batch);
    for (;;) {
      const now = this.port.now();
      for (const p of this.pending.values()) {
        if (this.inflight.has(p.call.seq)) continue;
        if (p.blocked) {
          if (p.recheckAt === undefined || p.recheckAt > now) continue;
          p.blocked = false; // its deadline passed: execute it again (the port decides, atomically)
          p.recheckAt = undefined;
        }
        const entry = this.entries.get(p.call.seq);
        if (!entry || (entry.status === 'retry' && entry.dueAt !== null && entry.dueAt <= now)) this.start(p);
      }
      if (this.inflight.size === 0) break;
      await this.progress();
      if (this.fatal || this.inflight.size === 0 || deliverableBesides(this.pending, this.entries, this.inflight, this.port.now())) break;
    }
    this.open = batch + 1;
    // executions that asked for `batch` are writing into it: the batch is theirs to finish
    await Promise.all([...this.inflight.values()].filter((f) => f.writing).map((f) => f.done));
    if (this.fatal) return false;

    const { ready, externals, dueTimers } = batchContents(this.pending, this.entries, batch, this.port.now());
    if (externals.length || dueTimers.length) {
      await this.port.stamp(batch, externals, dueTimers);
      this.liveWrites += dueTimers.length + externals.filter((seq) => this.entries.get(seq)!.status === 'done').length;
      for (const seq of externals) this.entries.get(seq)!.batch = batch;
      for (const t of dueTimers) {
        this.entries.set(t.seq, { seq: t.seq, kind: 'sleep', name: t.name, status: 'done', value: t.value, attempt: 1, batch, dueAt: null });
      }
      ready.push(...externals, ...dueTimers.map((t) => t.seq));
    }
    if (ready.length === 0) return false;
    this.deliver(batch, ready.sort((a, b) => a - b));
    return true;
  }

  /**
   * Wait while executions run: until one finishes, the next due time (timer, deadline, retry) comes,
   * or (every POLL_WHILE_RUNNING_MS, while the function waits on the outside) a result arrived.
   */
  private async progress(): Promise<void> {
    const now = this.port.now();
    const next = nextDueTime(this.pending, this.entries);
    const outside = waitingOutside(this.pending, this.entries);
    const waitMs = Math.min(Math.max(0, next - now), outside.length > 0 && this.port.poll ? POLL_WHILE_RUNNING_MS : Infinity);
    let timer: ReturnType<typeof setTimeout> | undefined;
    let why = 'done' as 'done' | 'time';
    // the first execution to finish, or the time: one promise (a race of derived ones cost four more)
    await new Promise<void>((resolve, reject) => {
      for (const f of this.inflight.values()) f.done.then(() => resolve(), reject);
      if (Number.isFinite(waitMs)) {
        timer = setTimeout(() => {
          why = 'time';
          resolve();
        }, waitMs);
      }
    });
    clearTimeout(timer);
    if (why === 'time' && outside.length > 0 && this.port.poll) {
      for (const entry of await this.port.poll(outside)) {
        if (!this.entries.has(entry.seq) && this.pending.has(entry.seq)) this.entries.set(entry.seq, entry);
      }
    }
  }

  /** Begin executing a call; its result is recorded when it finishes (see liveBatch). */
  private start(p: Pending): void {
    const flight: InFlight = { writing: false, done: Promise.resolve() };
    this.inflight.set(p.call.seq, flight);
    flight.done = this.execute(p, flight).finally(() => {
      if (this.inflight.get(p.call.seq) === flight) this.inflight.delete(p.call.seq);
    });
  }

  private async execute(p: Pending, flight?: InFlight): Promise<void> {
    const previous = this.entries.get(p.call.seq);
    let written: number | undefined;
    const batchNow = () => {
      if (this.stopped) throw new RunEnded();
      if (flight) flight.writing = true;
      return (written = this.open);
    };
    let outcome: CallOutcome;
    try {
      outcome = await this.port.execute(p.call, batchNow, previous);
    } catch (error) {
      if (!(error instanceof RunEnded)) this.fatal ??= { type: 'aborted', error };
      return;
    }
    if (this.stopped) return;
    const batch = written ?? this.open;
    const { seq, kind, name } = p.call;
    switch (outcome.type) {
      case 'done':
        this.liveWrites++;
        this.entries.set(seq, { seq, kind, name, status: 'done', value: outcome.value, attempt: previous ? previous.attempt + 1 : 1, batch, dueAt: null });
        return;
      case 'failed':
        this.entries.set(seq, { seq, kind, name, status: 'failed', error: outcome.error, attempt: previous ? previous.attempt + 1 : 1, batch, dueAt: null });
        return;
      case 'blocked':
        if (outcome.attempt !== undefined) {
          // an activity attempt failed and waits out its backoff: the port journaled a 'retry' row
          this.entries.set(seq, { seq, kind, name, status: 'retry', attempt: outcome.attempt, batch: null, dueAt: outcome.dueAt ?? null });
        } else {
          p.blocked = true;
          if (outcome.dueAt !== undefined && p.call.kind === 'sleep') {
            p.timer = { dueAt: outcome.dueAt, value: p.call.input.value };
          }
          if (outcome.recheckAt !== undefined) p.recheckAt = outcome.recheckAt;
        }
        return;
    }
  }

  /**
   * handle.cancel(): the waits the function is blocked on or has just made (activities, sleeps,
   * waitFor, children) that have no result to deliver get the CancelledError instead, journaled in
   * this batch. With none (the function runs ordinary code, or makes only fire-and-forget calls), the
   * request waits for the next wave.
   */
  private async deliverCancel(batch: number): Promise<void> {
    if (!this.port.cancel) return;
    // a timer that was due when the request was made fired first; one due after it is cancelled
    const now = this.cancelAt ?? this.port.now();
    const targets = [...this.pending.values()].filter((p) => {
      if (!CANCELLABLE[p.call.kind] || this.inflight.has(p.call.seq)) return false;
      const entry = this.entries.get(p.call.seq);
      return !entry || entry.status === 'retry' || !isDeliverable(entry, now);
    });
    if (targets.length === 0) return;
    const failure = this.cancelling!;
    this.cancelling = undefined;
    await this.port.cancel(batch, targets.map((p) => p.call), failure);
    for (const p of targets) {
      const { seq, kind, name } = p.call;
      this.entries.set(seq, { seq, kind, name, status: 'failed', error: failure, attempt: 1, batch, dueAt: null });
      p.timer = undefined;
      p.recheckAt = undefined;
    }
  }

  private deliver(batch: number, seqs: number[]): void {
    this.batch = batch;
    for (const seq of seqs) {
      const p = this.pending.get(seq);
      const entry = this.entries.get(seq);
      if (!p || !entry) continue;
      this.pending.delete(seq);
      p.resolve(completionOf(entry));
    }
  }

  /** The function returned or threw. Fire-and-forget calls it issued without awaiting still happen. */
  private async settle(batch: number): Promise<RunOutcome> {
    this.open = batch;
    const unexecuted = [...this.pending.values()].filter(
      (p) => !p.blocked && !this.inflight.has(p.call.seq) && !this.entries.has(p.call.seq) && FIRE_AND_FORGET[p.call.kind],
    );
    await Promise.all(unexecuted.map((p) => this.execute(p)));
    if (this.fatal) return this.fatal;
    const settled = this.settled!;
    return settled.ok
      ? { type: 'completed', value: settled.value }
      : { type: 'failed', error: settled.error, progressed: this.liveWrites > 0 };
  }

  private suspension(): RunOutcome {
    return { type: 'suspended', ...suspensionOf(this.pending, this.entries, this.port.now()) };
  }

  private nondeterminism(seq: number, recorded: string, attempted: string): void {
    this.fatal ??= {
      type: 'nondeterminism',
      error: new NonDeterminismError(this.ids.jobId, this.ids.thread, seq, recorded, attempted),
    };
  }

  private finish(outcome: RunOutcome): RunOutcome {
    this.stopped = true;
    this.pending.clear(); // let the suspended function's promise chain be collected
    return outcome;
  }
}
