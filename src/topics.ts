/**
 * Topic names: what a task is claimed by. One helper builds them all, so the worker that serves a
 * function and the code that starts it always agree.
 *
 * - A workflow or hook function is served on `<taskQueue>-<workflowName>`.
 * - Remote activities of a queue are served on `<queue>-activity` (by default the queue is the
 *   workflow's own topic, so `<taskQueue>-<workflowName>-activity`).
 */

export function workflowTopic(taskQueue: string, workflowName: string): string {
  return `${taskQueue}-${workflowName}`;
}

export function activityTopic(queue: string): string {
  return `${queue}-activity`;
}
