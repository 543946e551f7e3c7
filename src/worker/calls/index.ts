/**
 * The executor of every kind of durable call. Typed `{ [K in CallKind]: Executor<K> }`: a kind added
 * to the contract (replay/durable-call.ts) without an executor here fails to compile.
 */
import type { CallKind, IssuedCall } from '../../replay/durable-call.js';
import type { CallOutcome, JournalEntry } from '../../replay/journal-entry.js';
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

export function executeCall(site: CallSite, call: IssuedCall, batch: () => number, previous: JournalEntry | undefined): Promise<CallOutcome> {
  // call.kind selects the executor of exactly that kind (the table's type guarantees one per kind)
  const executor = EXECUTORS[call.kind] as (site: CallSite, call: IssuedCall, batch: () => number, previous: JournalEntry | undefined) => Promise<CallOutcome>;
  return executor(site, call, batch, previous);
}
