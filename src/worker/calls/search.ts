/** Search-field ops from inside a thread: applied and journaled in one statement (migration 0003). */
import { toFailure } from '../../failure-codec.js';
import * as search from '../../sql/queries/search.js';
import { checkIndexable } from '../../search-rules.js';
import type { Executor } from './call-site.js';

export const executeSearchOp: Executor<'search'> = async (site, call, batch) => {
  if (call.input.op === 'set') {
    // checked here, as the call runs, not in the workflow: a replay of a value stored before the check
    // existed must not diverge
    try {
      checkIndexable(call.input.arg as Record<string, string>);
    } catch (err) {
      return site.journal(call, batch(), { type: 'failed', error: toFailure(err) });
    }
  }
  const res = await site.query(search.searchOpInThread, { ...site.at(call, batch()), op: call.input.op, arg: JSON.stringify(call.input.arg) });
  if (!res.rows[0]) site.leaseLost();
  return { type: 'done', value: res.rows[0].value };
};
