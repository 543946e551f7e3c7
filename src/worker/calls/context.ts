/**
 * Context ops from inside a thread: applied, versioned, logged and journaled in one statement
 * (migration 0006), so replay returns the recorded result and never applies an op twice. An op the
 * SQL refuses for its data (a type clash, a size cap) is journaled as the typed failure.
 */
import { CONTEXT_MAX_BYTES, contextError } from '../../context/context-op.js';
import { toFailure } from '../../failure-codec.js';
import * as context from '../../sql/queries/context.js';
import type { Executor } from './call-site.js';

export const executeContextOp: Executor<'context'> = async (site, call, batch) => {
  const request = call.input;
  try {
    const res =
      request.op === 'get'
        ? await site.query(context.contextGetInThread, { ...site.at(call, batch()), path: request.path })
        : await site.query(context.contextOpInThread, {
            ...site.at(call, batch()),
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
    return site.journal(call, batch(), { type: 'failed', error: toFailure(typed) });
  }
};
