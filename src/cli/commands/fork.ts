/**
 * `hotmesh fork <id> [--from seq] [--id newId]`: a new job from this one's journal up to `seq`
 * (default: every delivered call before the first that failed), with the context as it was then;
 * the original is untouched. Prints the new workflow id.
 */
import type { CliCommand } from '../cli-command.js';
import { parseIntegerArgument } from '../json-argument.js';
import { validateId } from '../../validation.js';

export const forkCommand: CliCommand = {
  names: ['fork'],
  register(program, env) {
    program
      .command('fork <workflowId>')
      .description("start a copy of a workflow from a step of its journal; prints the copy's id")
      .option('--from <seq>', 'copy the journal up to this seq (default: every delivered call before the first that failed)')
      .option('--id <workflowId>', "the copy's workflow id (default: a new guid)")
      .action(async (workflowId: string, opts: { from?: string; id?: string }) => {
        const fromSeq = opts.from === undefined ? undefined : parseIntegerArgument('--from', opts.from, 0, 2_147_483_647);
        if (opts.id !== undefined) validateId('--id', opts.id); // before the database is opened
        const forked = await (await env.handle(workflowId)).fork({ fromSeq, workflowId: opts.id });
        env.print({ workflowId: forked.workflowId, forkedFrom: workflowId }, (v) => v.workflowId);
      });
  },
};
