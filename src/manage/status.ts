/**
 * Stored job statuses and the management API's WorkflowStatus: `interrupted` is reported as
 * `terminated`, and a `running` job none of whose threads can go on now as `waiting`.
 */
import type { WorkflowStatus } from './types.js';

export function workflowStatus(stored: string, waiting: boolean): WorkflowStatus {
  switch (stored) {
    case 'running':
      return waiting ? 'waiting' : 'running';
    case 'interrupted':
      return 'terminated';
    case 'completed':
    case 'failed':
    case 'parked':
    case 'cancelled':
      return stored;
    default:
      // a status this build does not know (a newer engine wrote it): show it rather than hide the job
      return stored as WorkflowStatus;
  }
}

/**
 * The stored statuses a set of WorkflowStatus values selects, and for running jobs which of them:
 * `waiting` true (waiting only), false (running only) or null (both, or no running job selected).
 */
export function storedStatuses(statuses: readonly WorkflowStatus[]): { statuses: string[]; waiting: boolean | null } {
  const stored = new Set<string>();
  for (const s of statuses) stored.add(s === 'terminated' ? 'interrupted' : s === 'waiting' ? 'running' : s);
  const running = statuses.includes('running');
  const waiting = statuses.includes('waiting');
  return { statuses: [...stored].sort(), waiting: running === waiting ? null : waiting };
}
