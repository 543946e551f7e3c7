/**
 * `hotmesh hook <id> <taskQueue> <workflowName> [--args json]`: run a hook function against a job
 * (running or finished); prints the hook's thread id.
 */
import type { CliCommand } from '../cli-command.js';
import { parseJsonArray } from '../json-argument.js';
import { prepareHookOutside } from '../../memflow/start-hook.js';

export const hookCommand: CliCommand = {
  names: ['hook'],
  register(program, env) {
    program
      .command('hook <workflowId> <taskQueue> <workflowName>')
      .description("run a hook function against a workflow; prints the hook's thread id")
      .option('--args <json>', 'the arguments, a JSON array (default [])')
      .option('--hook-id <hookId>', 'idempotency key: a rerun with the same id starts nothing new')
      .action(async (workflowId: string, taskQueue: string, workflowName: string, opts: { args?: string; hookId?: string }) => {
        const args = parseJsonArray('--args', opts.args);
        const options = { workflowId, taskQueue, workflowName, args, hookId: opts.hookId };
        prepareHookOutside(options); // its checks, before the database is opened
        const mf = await env.memflow();
        const thread = await mf.workflow.hook(options);
        env.print({ workflowId, thread }, (v) => v.thread);
      });
  },
};
