/**
 * The end of a thread run: the statement that records how it ended (completed, failed, cancelled,
 * retried, continued as new, suspended or parked), fenced by the lease, and what goes with it (the
 * run's pending results, an execHook's failure, the run's metrics). A closing statement the database
 * refuses for its data ends the run with 598 instead, naming the statement.
 */
import type { Engine } from '../engine/engine.js';
import { type CancelledError, ContinueAsNew, ErrorCode, isHotMeshError, LeaseLostError, type StoredFailure } from '../errors.js';
import { isTerminalCode, refusedStatementFailure, toFailure, withCode } from '../failure-codec.js';
import { encodeJson } from '../json-value.js';
import { hookFailure, hookReply, withReplyMarker } from '../replay/hook-signal.js';
import type { RunOutcome, ThreadRun } from '../replay/thread-run.js';
import type { ThreadLeaseParams } from '../sql/define-query.js';
import * as signals from '../sql/queries/signals.js';
import * as tasks from '../sql/queries/tasks.js';
import * as threads from '../sql/queries/threads.js';
import { isDeterministicDbError } from '../storage/transient-error.js';
import { errField, failureField, type Logger } from '../telemetry/logger.js';
import type { CallSite } from './calls/call-site.js';
import type { ClaimedRow } from './claimed-task.js';
import { warnClosingMatchedNothing } from './lease-guard.js';
import { type ResolvedRetry, retryDelaySeconds } from './retry-policy.js';
import { countEnd, countFailure, recordWorkflowDuration } from './run-metrics.js';

/** What the run that ends was: its lease, call site and run, and what it was started with. */
export interface EndingRun {
  /** The engine, and what the task loop hears of the end (thread-task.ts ThreadTaskDeps). */
  deps: {
    engine: Engine;
    onSuspended(runAtMs: number | null): void;
    onExpires?(inMs: number): void;
  };
  row: ClaimedRow;
  site: CallSite;
  lease: ThreadLeaseParams;
  log: Logger;
  attributes: Record<string, string>;
  options: NonNullable<ClaimedRow['job_options']>;
  args: unknown[];
  run: ThreadRun;
  policy: ResolvedRetry;
  /** The thread's failed runs before this one. */
  failures: number;
  /** handle.cancel()'s failure, when one was asked for (main thread only). */
  cancel: StoredFailure | undefined;
}

/** Record how the run ended. Called once the run is done and its lease confirmed (the guard is closing). */
export async function endRun(ending: EndingRun, outcome: RunOutcome): Promise<void> {
  const { deps, row, site, lease, log, attributes, options, args, run, policy, failures, cancel } = ending;
  const { engine } = deps;
  /** The thread ended with `status`; a main thread's job is counted, its duration recorded (DB clock). */
  const ended = (status: 'completed' | 'failed' | 'cancelled' | 'parked') => {
    if (row.thread !== 'main') return;
    countEnd(attributes, status);
    if (row.job_created_at !== null && row.job_created_at !== undefined) {
      recordWorkflowDuration(attributes, status, site.now() - Number(row.job_created_at));
    }
  };

  /** End the thread, writing the run's pending results with it (`withPending` false: drop them). */
  const finish = async (
    status: 'completed' | 'failed' | 'cancelled',
    output: string | null,
    error: StoredFailure | null,
    expireSeconds = options.expire ?? null,
    withPending = true,
  ) => {
    const { entries, stamps } = site.takePending();
    // the defer timer's write, if one is in flight, goes first
    if (site.mustFlush && !(await written('finishThread', site.settled()))) return;
    // grouped with concurrent starts and finishes of this engine into one statement when one is in flight
    const res = await engine.writes.finish({
      taskId: lease.taskId,
      claims: lease.claims,
      jobId: lease.jobId,
      thread: lease.thread,
      entries: withPending && entries.length > 0 ? JSON.stringify(entries) : '[]',
      stamps: withPending && stamps.length > 0 ? JSON.stringify(stamps) : '[]',
      status,
      output,
      error: error && JSON.stringify(error),
      expireSeconds,
      channel: engine.channel,
      origin: engine.origin,
    }).catch((err: unknown) => {
      // the finish may have committed with its reply lost, and with no NOTIFY (the job was started
      // here): waiters here read the job row now rather than at their next poll
      if (row.thread === 'main') engine.localDone(row.job_id);
      throw err;
    });
    const notice = res?.notice;
    if ((notice === null || notice === undefined) && withPending && entries.length + stamps.length > 0) {
      // a result was refused (its seq has one this run did not replay) or the lease was lost: give the
      // task back now rather than holding it a whole lease (a lost lease's release matches nothing)
      await refused('finishThread');
    } else if (notice === null || notice === undefined) {
      // nothing to give back: the task is no longer this run's (its heartbeat may not have said so: a run
      // whose closing statement is out is not warned of by the lease keeper)
      warnClosingMatchedNothing(log, 'finishThread');
    }
    // recorded before result() waiters in this process hear of the end
    if (notice !== null && notice !== undefined) {
      ended(status);
      if (row.thread === 'main' && expireSeconds !== null) deps.onExpires?.(expireSeconds * 1000);
    }
    if (row.thread === 'main') engine.localDone(row.job_id, notice);
  };
  /**
   * The run's pending results were refused: the lease was lost, or a seq already had a result this
   * run did not replay. Give the task back at once (a lost lease's release matches nothing) rather
   * than hold it a whole lease; the next claim replays the thread.
   */
  const refused = async (statement: string): Promise<void> => {
    log.warn({ statement }, 'the run\'s last results were refused; the thread runs again');
    await giveBack(0);
  };
  /** Give the task back, runnable after `delaySeconds` (a lost lease's release matches nothing). */
  const giveBack = async (delaySeconds: number): Promise<void> => {
    await engine
      .query(tasks.releaseTask, { taskId: lease.taskId, claims: lease.claims, delaySeconds })
      .catch((err) => log.warn({ err: errField(err) }, 'giving the task back failed; it runs again when its lease ends'));
    deps.onSuspended(site.now() + delaySeconds * 1000);
  };
  /** Waits for a write of pending results; false when it was refused (the task is given back then). */
  const written = async (statement: string, write: Promise<void>): Promise<boolean> => {
    try {
      await write;
      return true;
    } catch (err) {
      if (!(err instanceof LeaseLostError)) throw err;
      await refused(statement);
      return false;
    }
  };
  /** The statement that ends the run, run as `statement`: a refusal for its data is tagged with its name. */
  const closing = async (statement: string, run: () => Promise<unknown>): Promise<void> => {
    try {
      await run();
    } catch (err) {
      throw isDeterministicDbError(err) ? new RefusedStatement(statement, err) : err;
    }
  };
  /** A closing statement that pauses or restarts the run: the run's pending results are written first. */
  const pausing = (statement: string, run: () => Promise<unknown>): Promise<void> =>
    closing(statement, async () => {
      if (await written(statement, site.flush())) await run();
    });
  /** Whether this run sent its hook's failure already (a refused finish after it sends no second one). */
  let told = false;
  const tellWaiter = async (error: StoredFailure): Promise<void> => {
    const reply = row.thread === 'main' ? undefined : hookReply(args);
    if (!reply || told) return;
    told = true;
    await closing('hookFailed', () =>
      engine.query(signals.hookFailed, {
        taskId: lease.taskId,
        claims: lease.claims,
        jobId: lease.jobId,
        thread: lease.thread,
        targetId: reply.job,
        signalId: reply.signal,
        data: JSON.stringify(hookFailure(error, row.thread)),
      }),
    );
  };
  /**
   * The thread fails for good. A hook started by execHook that has not answered yet first sends its
   * failure to the job that waits (before the finish: a crash in between runs the hook again, which
   * sends it again, rather than leave the waiter waiting forever; the failure names the hook's thread,
   * so a copy only the waiter of this hook takes).
   */
  const fail = async (error: StoredFailure): Promise<void> => {
    await tellWaiter(error);
    await closing('finishThread', () => finish('failed', null, error));
  };

  try {
    await closeRun();
  } catch (err) {
    // Fix: the statement that ends the run was refused for its data (SQLSTATE class 22, HM...). This
    // escaped to the task loop, which kept the lease, so the task was claimed again every lease and
    // refused again, forever. The same statement would be refused on every attempt: end the run,
    // failing the thread with 598, naming the statement and the error. The record is kept (no
    // expiry): an operator wants to see it. A refusal of this last statement goes to the task loop.
    if (!(err instanceof RefusedStatement)) throw err;
    const failure = refusedStatementFailure(err.statement, err.cause);
    log.error({ code: failure.code, err: failureField(failure) }, 'workflow failed: the statement that ends its run was refused');
    // A hook's execHook hears of it too (this failure is small and storable, unlike what was refused),
    // unless the hook's failure went already. Only a refusal is let go here: any other error (a lost
    // connection) leaves the task to run again, and send it again, rather than the waiter waiting.
    if (err.statement !== 'hookFailed') {
      await tellWaiter(failure).catch((e: unknown) => {
        if (!(e instanceof RefusedStatement)) throw e;
        log.error({ err: e.cause }, 'the failure could not be sent to the waiting execHook: the database refused it');
      });
    }
    await finish('failed', null, failure, null, false);
  }

  async function closeRun(): Promise<void> {
    // finishThread writes the run's pending results itself; the statements that pause or restart the
    // run write them first (pausing); a run that lost its lease (aborted) writes nothing
    switch (outcome.type) {
      case 'completed': {
        let output: string | null;
        try {
          output = encodeJson('workflow result', outcome.value);
        } catch (err) {
          await fail(withCode(toFailure(err), ErrorCode.FATAL));
          return;
        }
        await closing('finishThread', () => finish('completed', output, null));
        return;
      }
      case 'failed': {
        if (outcome.error instanceof ContinueAsNew) {
          const next = row.thread === 'main' ? outcome.error.args : withReplyMarker(outcome.error.args, args, run.journal().values());
          let continued = false;
          await pausing('continueThread', async () => {
            const res = await engine.query(threads.continueThread, { ...lease, args: encodeJson('continueAsNew arguments', next) ?? '[]', lastSeq: run.counter });
            continued = res.rows[0]?.continued === true;
          });
          if (continued) log.debug({ lastSeq: run.counter }, 'continueAsNew: the thread starts over');
          else log.warn({}, 'continueAsNew not recorded: the task is no longer this run\'s (its job ended, or another worker took it over and replays the run)');
          deps.onSuspended(site.now());
          return;
        }
        let error = toFailure(outcome.error);
        if (cancel && isHotMeshError(outcome.error, 'CancelledError') && (outcome.error as CancelledError).jobId === row.job_id) {
          // the workflow did not catch the CancelledError of handle.cancel(): the job ends cancelled
          log.info({ code: error.code, reason: options.cancel?.reason ?? null }, 'workflow cancelled');
          await closing('finishThread', () => finish('cancelled', null, error));
          return;
        }
        // Bad input and bad data do not get better by running the same code again: fail at once.
        if (error.retryable === false && !isTerminalCode(error.code)) error = withCode(error, ErrorCode.FATAL);
        const count = outcome.progressed ? 1 : failures + 1;
        if (isTerminalCode(error.code)) {
          log.error({ code: error.code, err: failureField(error) }, 'workflow failed');
          countFailure(row.thread, attributes, false);
          await fail(error);
        } else if (count <= policy.maximumAttempts) {
          const delaySeconds = retryDelaySeconds(count, policy);
          log.warn({ attempt: count, nextDelaySeconds: delaySeconds, err: failureField(error) }, 'workflow run failed; it will run again');
          countFailure(row.thread, attributes, true);
          await pausing('retryThread', async () => {
            const res = await engine.query(threads.retryThread, { ...lease, failures: count, delaySeconds, error: JSON.stringify(error) });
            if (res.rows.length === 0) warnClosingMatchedNothing(log, 'retryThread');
          });
          deps.onSuspended(site.now() + delaySeconds * 1000);
        } else {
          log.error({ code: ErrorCode.MAXED, attempts: count, err: failureField(error) }, 'workflow failed: retries exhausted');
          countFailure(row.thread, attributes, false);
          await fail(withCode(error, ErrorCode.MAXED, 'MemFlowMaxedError'));
        }
        return;
      }
      case 'suspended': {
        const timers = outcome.timers.map((t) => ({ seq: t.seq, name: t.name, value: t.value ?? null, secs: t.remainingMs / 1000 }));
        let runAt: unknown;
        await pausing('suspendThread', async () => {
          const res = await engine.query(tasks.suspendThread, {
            taskId: lease.taskId,
            claims: lease.claims,
            jobId: lease.jobId,
            thread: lease.thread,
            timers: JSON.stringify(timers),
            wakeups: row.wakeups,
            nextDueAt: outcome.nextDueAt,
          });
          runAt = res.rows[0]?.run_at;
          if (res.rows.length === 0) warnClosingMatchedNothing(log, 'suspendThread');
        });
        deps.onSuspended(runAt === undefined || !Number.isFinite(Number(runAt)) ? null : Number(runAt));
        return;
      }
      case 'nondeterminism': {
        const error = withCode(toFailure(outcome.error), ErrorCode.NON_DETERMINISM);
        const { seq, recorded, attempted } = outcome.error;
        log.error({ seq, recorded, attempted, code: ErrorCode.NON_DETERMINISM, err: failureField(error) }, 'job parked: non-deterministic replay');
        await pausing('parkThread', async () => {
          const res = await engine.query(threads.parkThread, { ...lease, error: JSON.stringify(error), channel: engine.channel, origin: engine.origin });
          // recorded before this process's result() waiters hear of the park (the statement sends no
          // NOTIFY for a job this engine started, unless a waiter elsewhere watches it)
          if (Number(res.rows[0]?.parked ?? 0) > 0) ended('parked');
          else warnClosingMatchedNothing(log, 'parkThread');
        });
        engine.localDone(row.job_id);
        return;
      }
      case 'aborted': {
        site.takePending(); // never written: the next claim runs those steps again
        // A fenced write was refused. Usually another worker holds the task now, and the release below
        // matches nothing (its claims differ). But the fence of a journal write also refuses a step
        // that already has a result this run did not replay: the lease is still ours, and keeping it
        // would stall the thread for a whole lease. Give it back at once; the next claim replays it.
        // Infrastructure trouble (connection lost, Postgres restarting): give the task back for a retry soon.
        const delaySeconds = outcome.error instanceof LeaseLostError ? 0 : 1;
        // said: a run that aborts on every claim would otherwise leave a job waiting with no trace
        if (!(outcome.error instanceof LeaseLostError)) log.warn({ err: errField(outcome.error) }, 'workflow run aborted; the thread runs again in 1 s');
        await giveBack(delaySeconds);
        return;
      }
    }
  }
}

/** A closing statement refused for its data (`cause`): the run ends with 598 instead. */
class RefusedStatement extends Error {
  constructor(
    readonly statement: string,
    override readonly cause: unknown,
  ) {
    super(`${statement} refused`);
  }
}
