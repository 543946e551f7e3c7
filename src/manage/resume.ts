/**
 * `handle.resume()`: a parked job (its replay met a call the journal did not record) replays again
 * with the code the workers run now. If it still diverges it parks again, with the new details.
 */
import type { Engine } from '../engine/engine.js';
import * as manage from '../sql/queries/manage.js';
import { validateId } from '../validation.js';
import { checkOutcome } from './outcome.js';

export async function resumeWorkflow(engine: Engine, workflowId: string): Promise<void> {
  validateId('workflowId', workflowId);
  const res = await engine.query(manage.resumeJob, { jobId: workflowId, channel: engine.channel });
  await checkOutcome(engine, workflowId, 'resume', 'parked', res.rows[0]?.outcome, 'resumed');
}
