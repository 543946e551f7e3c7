/**
 * The metrics a thread run records when it ends (telemetry/metrics.ts): its duration, the main
 * thread's outcome (completed, parked, retried, failed), and a job's duration start to end. By app
 * and function only: a job id or a hook's thread id would make a series per job.
 */
import { instruments } from '../telemetry/metrics.js';

/** The series a run counts in: its app and function. */
const workflowOf = (attributes: Record<string, string>) => ({
  'hotmesh.app_id': attributes['hotmesh.app_id']!,
  'hotmesh.workflow_name': attributes['hotmesh.workflow_name']!,
});

/** A run's duration (every run of every thread). */
export function recordRunDuration(attributes: Record<string, string>, ms: number): void {
  instruments().runDuration.record(ms, workflowOf(attributes));
}

/**
 * A job whose main thread ended completed or parked, counted once the statement that says so matched
 * (a closing statement that matched nothing ends nothing: the thread runs again and is counted then).
 */
export function countEnd(attributes: Record<string, string>, status: string): void {
  if (status === 'completed') instruments().completed.add(1, workflowOf(attributes));
  else if (status === 'parked') instruments().parked.add(1, workflowOf(attributes));
}

/** A main thread's failed run: counted as retried, or as failed for good. */
export function countFailure(thread: string, attributes: Record<string, string>, retried: boolean): void {
  if (thread !== 'main') return;
  (retried ? instruments().retried : instruments().failed).add(1, workflowOf(attributes));
}

/** A job's duration, start to end, recorded when its main thread ends. */
export function recordWorkflowDuration(attributes: Record<string, string>, status: string, ms: number): void {
  instruments().workflowDuration.record(Math.max(0, ms), {
    'hotmesh.app_id': attributes['hotmesh.app_id']!,
    'hotmesh.workflow_name': attributes['hotmesh.workflow_name']!,
    'hotmesh.status': status,
  });
}
