/**
 * `hotmesh start <taskQueue> <workflowName> [--args json] [--id id] [--entity name]`: start a job;
 * prints its workflow id (alone, so `id=$(hotmesh start ...)` works). A worker serving
 * `<taskQueue>-<workflowName>` runs it, now or whenever one comes up.
 */
import type { CliCommand } from '../cli-command.js';
import { parseJsonArray } from '../json-argument.js';
import { prepareStart } from '../../memflow/start-job.js';

export const startCommand: CliCommand = {
  names: ['start'],
  register(program, env) {
    program
      .command('start <taskQueue> <workflowName>')
      .description('start a workflow; prints its workflow id')
      .option('--args <json>', 'the arguments, a JSON array (default [])')
      .option('--id <workflowId>', 'the workflow id (default: a new guid)')
      .option('--entity <name>', 'the entity stored on the job')
      .action(async (taskQueue: string, workflowName: string, opts: { args?: string; id?: string; entity?: string }) => {
        const args = parseJsonArray('--args', opts.args);
        const options = { taskQueue, workflowName, args, workflowId: opts.id, entity: opts.entity };
        prepareStart(options); // its checks, before the database is opened
        const mf = await env.memflow();
        const handle = await mf.workflow.start(options);
        env.print({ workflowId: handle.workflowId }, (v) => v.workflowId);
      });
  },
};
