/**
 * `hotmesh describe <id>`: one workflow as the management API describes it (WorkflowDescription):
 * status, attempt, error, what it waits for, its children and hooks.
 */
import type { CliCommand } from '../cli-command.js';
import type { WaitingFor, WorkflowDescription } from '../../manage/types.js';
import { fields, table, time } from '../table.js';

function waiting(w: WaitingFor): string[] {
  return [
    ...w.timers.map((t) => `timer     ${t.thread}#${t.seq} due ${time(t.dueAt)}`),
    ...w.signals.map((s) => `signal    ${s.thread}#${s.seq} '${s.signalId}'${s.dueAt ? ` (times out ${time(s.dueAt)})` : ''}`),
    ...w.children.map((c) => `child     ${c.thread}#${c.seq} ${c.workflowId} (${c.status})`),
    ...w.activities.map((a) => `activity  ${a.thread}#${a.seq} ${a.name} on ${a.taskQueue}, attempt ${a.attempt}, due ${time(a.dueAt)}`),
    ...w.unservedTopics.map((t) => `no worker has served topic '${t}' recently`),
  ];
}

export function describeText(d: WorkflowDescription): string {
  const blocks = [
    fields([
      ['workflowId', d.workflowId],
      ['workflowName', d.workflowName],
      ['taskQueue', d.taskQueue],
      ['status', d.status],
      ['entity', d.entity],
      ['parentId', d.parentId],
      ['created', time(d.createdAt)],
      ['updated', time(d.updatedAt)],
      ['completed', time(d.completedAt)],
      ['attempt', d.attempt],
      ['contextVersion', d.contextVersion],
      ['stepCount', d.stepCount],
      ...(d.error ? ([['error', `${d.error.message}${d.error.code === null ? '' : ` (code ${d.error.code})`}`]] as const) : []),
    ]),
  ];
  const waits = [...(d.pendingUntil ? [`resume   (started pending: scrubbed at ${time(d.pendingUntil)} unless resumed)`] : []), ...waiting(d.waitingFor)];
  if (waits.length > 0) blocks.push(`waiting for:\n${waits.map((l) => `  ${l}`).join('\n')}`);
  if (d.children.length > 0) blocks.push(`children:\n${table(['WORKFLOW ID', 'WORKFLOW', 'STATUS'], d.children.map((c) => [c.workflowId, c.workflowName, c.status]))}`);
  if (d.hooks.length > 0) {
    blocks.push(
      `hooks:\n${table(['THREAD', 'WORKFLOW', 'TASK QUEUE', 'STATUS', 'CREATED', 'COMPLETED'], d.hooks.map((h) => [h.thread, h.workflowName, h.taskQueue, h.status, time(h.createdAt), time(h.completedAt)]))}`,
    );
  }
  return blocks.join('\n\n');
}

export const describeCommand: CliCommand = {
  names: ['describe'],
  register(program, env) {
    program
      .command('describe <workflowId>')
      .description('one workflow: status, error, what it waits for, children, hooks')
      .action(async (workflowId: string) => {
        env.print(await (await env.handle(workflowId)).describe(), describeText);
      });
  },
};
