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

/** Metrics of one run's end (workflows: the main thread's runs; every run's duration). */
export function countOutcome(type: string, thread: string, attributes: Record<string, string>, ms: number): void {
  const m = instruments();
  const workflow = workflowOf(attributes);
  m.runDuration.record(ms, workflow);
  if (thread !== 'main') return;
  if (type === 'completed') m.completed.add(1, workflow);
  else if (type === 'nondeterminism') m.parked.add(1, workflow);
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
