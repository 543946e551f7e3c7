/** interrupt() from inside a thread: end another job (and its descendants with `descend`), once. */
import { JobNotFoundError } from '../../errors.js';
import { interruptFailure, toFailure } from '../../failure-codec.js';
import * as jobs from '../../sql/queries/jobs.js';
import type { Executor } from './call-site.js';

export const executeInterrupt: Executor<'interrupt'> = async (site, call, batch) => {
  const { jobId: targetId, options } = call.input;
  const res = await site.query(jobs.interruptFromThread, {
    ...site.at(call, batch()),
    targetId,
    error: JSON.stringify(interruptFailure(targetId, options)),
    descend: options.descend === true,
    expireSeconds: options.expire ?? null,
    suppress: options.suppress === true,
  });
  const row = res.rows[0]!;
  if (row.held === 0) site.leaseLost();
  if (row.journaled > 0) return { type: 'done', value: targetId };
  const failure = row.exists ? new Error(`Job ${targetId} already completed`) : new JobNotFoundError(targetId);
  return site.journal(call, batch(), { type: 'failed', error: toFailure(failure) });
};
