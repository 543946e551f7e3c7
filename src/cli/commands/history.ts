/** `hotmesh history <id>`: the workflow's journal, one durable call a row (the management API's HistoryEntry[]). */
import type { CliCommand } from '../cli-command.js';
import type { HistoryEntry } from '../../manage/types.js';
import { table, time } from '../table.js';

export function historyText(entries: HistoryEntry[]): string {
  return table(
    ['THREAD', 'SEQ', 'KIND', 'NAME', 'STATUS', 'BATCH', 'ATTEMPT', 'CREATED', 'RESULT'],
    entries.map((e) => [e.thread, e.seq, e.kind, e.name, e.status, e.batch, e.attempt, time(e.createdAt), e.error ? `error: ${e.error.message}` : e.result]),
    '(no durable calls recorded)',
  );
}

export const historyCommand: CliCommand = {
  names: ['history'],
  register(program, env) {
    program
      .command('history <workflowId>')
      .description("the workflow's journal: every durable call recorded")
      .action(async (workflowId: string) => {
        env.print(await (await env.handle(workflowId)).history(), historyText);
      });
  },
};
