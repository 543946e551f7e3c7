/**
 * `hotmesh list [filters] [--limit n] [--cursor c]`: one page of the app's workflows, newest first
 * (the management API's WorkflowPage). The readable form ends with the flag that fetches the next page.
 */
import type { CliCommand } from '../cli-command.js';
import { addFilterOptions, checkFlags, type FilterFlags, filterOf } from '../filter-options.js';
import { parseIntegerArgument } from '../json-argument.js';
import { listParams } from '../../manage/list.js';
import { table, time } from '../table.js';

export const listCommand: CliCommand = {
  names: ['list'],
  register(program, env) {
    addFilterOptions(program.command('list').description("list the app's workflows, newest first"))
      .option('--limit <n>', 'page size, 1-1000', '50')
      .option('--cursor <cursor>', 'the page after this cursor (printed under the previous page)')
      .action(async (flags: FilterFlags & { limit: string; cursor?: string }) => {
        const options = { ...filterOf(flags), limit: parseIntegerArgument('--limit', flags.limit, 1, 1000), cursor: flags.cursor };
        checkFlags(() => listParams(options)); // bad filters and cursors are refused before anything is opened
        const page = await (await env.memflow()).workflow.list(options);
        env.print(page, (p) => {
          const rows = table(
            ['WORKFLOW ID', 'WORKFLOW', 'TASK QUEUE', 'STATUS', 'CREATED', 'UPDATED'],
            p.items.map((i) => [i.workflowId, i.workflowName, i.taskQueue, i.status, time(i.createdAt), time(i.updatedAt)]),
            '(no workflows)',
          );
          return p.nextCursor ? `${rows}\nmore: --cursor ${p.nextCursor}` : rows;
        });
      });
  },
};
