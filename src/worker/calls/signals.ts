/**
 * waitFor and signal from inside a thread. A wait consumes a buffered signal or registers the waiter
 * (in one fenced SQL function); a send delivers and journals in one statement. Inside a job a signal
 * goes to that job, except from a hook started by execHook, whose reply goes to the job that waits.
 */
import { encodeJson } from '../../json-value.js';
import { replyTarget } from '../../replay/hook-signal.js';
import { WaitTimeoutError } from '../../errors.js';
import { toFailure } from '../../failure-codec.js';
import * as signals from '../../sql/queries/signals.js';
import type { Executor } from './call-site.js';

export const executeWait: Executor<'wait'> = async (site, call, batch) => {
  const { timeoutMs } = call.input;
  if (timeoutMs === undefined) {
    const res = await site.query(signals.waitForSignal, { ...site.at(call, batch()), signalId: call.name });
    const row = res.rows[0]!;
    if (row.fenced) site.leaseLost();
    return row.found ? { type: 'done', value: row.data_undefined ? undefined : row.data } : { type: 'blocked' };
  }
  const timedOut = toFailure(new WaitTimeoutError(call.name, timeoutMs));
  const res = await site.query(signals.waitForSignalUntil, {
    ...site.at(call, batch()),
    signalId: call.name,
    timeoutMs,
    timeoutFailure: JSON.stringify(timedOut),
  });
  const row = res.rows[0]!;
  if (row.fenced) site.leaseLost();
  if (row.found) return { type: 'done', value: row.data_undefined ? undefined : row.data };
  if (row.timed_out) return { type: 'failed', error: timedOut };
  // registered: look again at the deadline (the port decides then, atomically with any delivery)
  return { type: 'blocked', recheckAt: Number(row.due) };
};

export const executeSignal: Executor<'signal'> = async (site, call, batch) => {
  const { input } = call;
  const { jobId, thread } = site.task;
  const targetId = input.jobId ?? replyTarget(site.threadArgs, call.name) ?? jobId;
  const messageId = `${jobId}/${thread}/${call.seq}`;
  const res = await site.query(signals.signalFromThread, {
    ...site.at(call, batch()),
    signalId: call.name,
    data: encodeJson('signal data', input.data) ?? 'null',
    targetId,
    messageId,
  });
  if (res.rows[0]!.journaled === 0) site.leaseLost();
  return { type: 'done', value: messageId };
};
