/** `hotmesh counts [filters]`: how many of the app's workflows match, per status. */
import type { CliCommand } from '../cli-command.js';
import { addFilterOptions, type FilterFlags, filterOf } from '../filter-options.js';
import { table } from '../table.js';

export const countsCommand: CliCommand = {
  names: ['counts'],
  register(program, env) {
    addFilterOptions(program.command('counts').description("count the app's workflows by status")).action(async (flags: FilterFlags) => {
      const counts = await (await env.memflow()).workflow.counts(filterOf(flags));
      env.print(counts, (c) => table(['STATUS', 'COUNT'], Object.entries(c)));
    });
  },
};
