/**
 * `hotmesh signal <id> <signalId> [json]`: send a signal to one job (its newest waiter on
 * `signalId` gets it, or it is kept until one waits). The payload defaults to null.
 */
import type { CliCommand } from '../cli-command.js';
import { parseJsonArgument } from '../json-argument.js';

export const signalCommand: CliCommand = {
  names: ['signal'],
  register(program, env) {
    program
      .command('signal <workflowId> <signalId> [json]')
      .description('send a signal to a workflow (payload: JSON, default null)')
      .option('--key <signalKey>', 'idempotency key: a resend with the same key applies once')
      .action(async (workflowId: string, signalId: string, json: string | undefined, opts: { key?: string }) => {
        const data = json === undefined ? null : parseJsonArgument('signal payload', json);
        const handle = await env.handle(workflowId);
        await handle.signal(signalId, data, opts.key === undefined ? undefined : { signalKey: opts.key });
        env.print({ workflowId, signalId }, (v) => `signal '${v.signalId}' sent to ${v.workflowId}`);
      });
  },
};
