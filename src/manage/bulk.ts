/**
 * The bulk actions: `cancelMany`, `terminateMany`, `resumeMany(filter)`. One statement each: the
 * jobs the filter selects (migration 0023 match_jobs), and the action on each. `matched` counts the
 * selected jobs, `affected` those the action changed (the others were in a state it does not apply to).
 */
import type { Engine } from '../engine/engine.js';
import { ValidationError } from '../errors.js';
import { interruptFailure } from '../failure-codec.js';
import * as manage from '../sql/queries/manage.js';
import { cancelRequest } from './cancel.js';
import { filterParams } from './filter.js';
import { validateReason } from './outcome.js';
import type { BulkResult, WorkflowFilter } from './types.js';

export type BulkAction = 'cancel' | 'terminate' | 'resume';

/** Check the filter and options (before any SQL), then the statement that runs the action. */
export function prepareBulk(action: BulkAction, filter: WorkflowFilter, options?: { reason?: string }) {
  // an action on every job of the app is asked for with {}, never by leaving the filter out
  if (filter === undefined || filter === null) {
    throw new ValidationError('filter', `${action}Many needs a filter: pass {} to ${action} every job of the app`);
  }
  const params = filterParams(filter);
  const reason = validateReason(options);
  return async (engine: Engine): Promise<BulkResult> => {
    const res =
      action === 'cancel'
        ? await engine.query(manage.cancelMatching, { ...params, cancel: JSON.stringify(cancelRequest(options)) })
        : action === 'terminate'
          ? await engine.query(manage.terminateMatching, {
              ...params,
              error: JSON.stringify({ ...interruptFailure('', {}), message: reason ?? 'terminated by an operator' }),
            })
          : await engine.query(manage.resumeMatching, { ...params, channel: engine.channel });
    const row = res.rows[0] ?? { matched: 0, affected: 0 };
    return { matched: row.matched, affected: row.affected };
  };
}
