/**
 * The executor of every kind of durable call. Typed `{ [K in CallKind]: Executor<K> }`: a kind added
 * to the contract (replay/durable-call.ts) without an executor here fails to compile.
 */
import type { CallKind, IssuedCall } from '../../replay/durable-call.js';
import type { CallOutcome, JournalEntry } from '../../replay/journal-entry.js';
import { instruments } from '../../telemetry/metrics.js';
import { endSpan, startSpan } from '../../telemetry/tracing.js';
import { executeActivity } from './activity.js';
import type { CallSite, Executor } from './call-site.js';
import { executeChild } from './child.js';
import { executeContextOp } from './context.js';
import { executeEmit } from './emit.js';
import { executeHook } from './hook.js';
import { executeInterrupt } from './interrupt.js';
import { executeSearchOp } from './search.js';
import { executeSignal, executeWait } from './signals.js';

const EXECUTORS: { readonly [K in CallKind]: Executor<K> } = {
  activity: executeActivity,
  // a durable timer waits in memory while the run lasts; suspension persists it (suspendThread)
  sleep: async (site, call) => ({ type: 'blocked', dueAt: site.now() + call.input.ms }),
  wait: executeWait,
  signal: executeSignal,
  hook: executeHook,
  child: executeChild,
  start: executeChild,
  context: executeContextOp,
  search: executeSearchOp,
  interrupt: executeInterrupt,
  emit: executeEmit,
  patch: (site, call, batch) => site.journal(call, batch(), { type: 'done', value: true }),
};

/** Span names by kind: `activity charge`, `timer 5 seconds`, `signal wait approve`, ... */
const SPAN: { readonly [K in CallKind]: string } = {
  activity: 'activity',
  sleep: 'timer',
  wait: 'signal wait',
  signal: 'signal',
  hook: 'hook',
  child: 'child',
  start: 'child',
  context: 'context',
  search: 'search',
  interrupt: 'interrupt',
  emit: 'emit',
  patch: 'patch',
};

/**
 * Execute a call on new ground, as a span (a replayed call is never executed: it makes none). A call
 * that blocks (a timer, a wait, a child) is recorded at its registration: its span ends when the
 * executor returns, not when its result arrives.
 */
export async function executeCall(site: CallSite, call: IssuedCall, batch: () => number, previous: JournalEntry | undefined): Promise<CallOutcome> {
  // call.kind selects the executor of exactly that kind (the table's type guarantees one per kind)
  const executor = EXECUTORS[call.kind] as (site: CallSite, call: IssuedCall, batch: () => number, previous: JournalEntry | undefined) => Promise<CallOutcome>;
  const started = performance.now();
  // not traced (no SDK registered, or the run sampled out): no span to make
  const span = site.traceContext
    ? startSpan(
        `${SPAN[call.kind]} ${call.name}`,
        {
          'hotmesh.app_id': site.engine.appId,
          'hotmesh.job_id': site.task.jobId,
          'hotmesh.workflow_name': site.info.workflowName,
          'hotmesh.seq': call.seq,
          'hotmesh.attempt': previous?.status === 'retry' ? previous.attempt + 1 : 1,
        },
        site.traceContext,
      )
    : undefined;
  try {
    const outcome = await executor(site, call, batch, previous);
    // a failed attempt is an error of its span, whether the call fails or another attempt follows
    if (span) endSpan(span, outcome.type === 'failed' ? outcome.error : outcome.type === 'blocked' ? outcome.attemptFailure : undefined);
    return outcome;
  } catch (err) {
    if (span) endSpan(span, err instanceof Error ? err : { message: String(err) });
    throw err;
  } finally {
    instruments().stepDuration.record(performance.now() - started, { 'hotmesh.app_id': site.engine.appId, 'hotmesh.kind': call.kind });
  }
}
