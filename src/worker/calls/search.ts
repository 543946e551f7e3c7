/** Search-field ops from inside a thread: applied and journaled in one statement (migration 0003). */
import * as search from '../../sql/queries/search.js';
import type { Executor } from './call-site.js';

export const executeSearchOp: Executor<'search'> = async (site, call, batch) => {
  const res = await site.query(search.searchOpInThread, { ...site.at(call, batch()), op: call.input.op, arg: JSON.stringify(call.input.arg) });
  if (!res.rows[0]) site.leaseLost();
  return { type: 'done', value: res.rows[0].value };
};
