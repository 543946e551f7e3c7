/**
 * Context ops from inside a thread: applied, versioned, logged and journaled in one statement
 * (migration 0006), so replay returns the recorded result and never applies an op twice. An op the
 * SQL refuses for its data (a type clash, a size cap) is journaled as the typed failure.
 */
import { CONTEXT_MAX_BYTES, contextError } from '../../context/context-op.js';
import { toFailure } from '../../failure-codec.js';
import * as context from '../../sql/queries/context.js';
import type { IssuedCallOf } from '../../replay/durable-call.js';
import type { CallOutcome } from '../../replay/journal-entry.js';
import type { CallSite, Executor } from './call-site.js';

/**
 * The ops of one wave apply in the order the function called them (site.inCallOrder): a `set`
 * then a `merge` in one `Promise.all` left the set's document on PostgreSQL now and then. The op
 * takes the open batch before it waits its turn, so the wave's results are still delivered together.
 */
export const executeContextOp: Executor<'context'> = async (site, call, batch) => {
  const at = batch();
  return site.inCallOrder(() => applyContextOp(site, call, at));
};

async function applyContextOp(site: CallSite, call: IssuedCallOf<'context'>, batch: number): Promise<CallOutcome> {
  const request = call.input;
  try {
    const res =
      request.op === 'get'
        ? await site.query(context.contextGetInThread, { ...site.at(call, batch), path: request.path })
        : await site.query(context.contextOpInThread, {
            ...site.at(call, batch),
            op: request.op,
            path: request.path,
            arg: request.arg,
            capBytes: CONTEXT_MAX_BYTES,
          });
    const row = res.rows[0];
    if (!row) site.leaseLost();
    return { type: 'done', value: row.undef ? undefined : row.value };
  } catch (err) {
    const typed = contextError(err, request);
    if (typed === err) throw err;
    return site.journal(call, batch, { type: 'failed', error: toFailure(typed) });
  }
}
