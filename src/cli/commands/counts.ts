/** `hotmesh counts [filters]`: how many of the app's workflows match, per status. */
import type { CliCommand } from '../cli-command.js';
import { addFilterOptions, checkFlags, type FilterFlags, filterOf } from '../filter-options.js';
import { filterParams } from '../../manage/filter.js';
import { table } from '../table.js';

export const countsCommand: CliCommand = {
  names: ['counts'],
  register(program, env) {
    addFilterOptions(program.command('counts').description("count the app's workflows by status")).action(async (flags: FilterFlags) => {
      const filter = filterOf(flags);
      checkFlags(() => filterParams(filter)); // bad filters are refused before anything is opened
      const counts = await (await env.memflow()).workflow.counts(filter);
      env.print(counts, (c) => table(['STATUS', 'COUNT'], Object.entries(c)));
    });
  },
};
