/**
 * `hotmesh signal <id> <signalId> [json]`: send a signal to one job (its newest waiter on
 * `signalId` gets it, or it is kept until one waits). The payload defaults to null.
 */
import type { CliCommand } from '../cli-command.js';
import { parseJsonArgument } from '../json-argument.js';
import { prepareSignal } from '../../memflow/send-signal.js';

export const signalCommand: CliCommand = {
  names: ['signal'],
  register(program, env) {
    program
      .command('signal <workflowId> <signalId> [json]')
      .description('send a signal to a workflow (payload: JSON, default null)')
      .option('--key <signalKey>', 'idempotency key: a resend with the same key applies once')
      .action(async (workflowId: string, signalId: string, json: string | undefined, opts: { key?: string }) => {
        const data = json === undefined ? null : parseJsonArgument('signal payload', json);
        const options = opts.key === undefined ? undefined : { signalKey: opts.key };
        prepareSignal(signalId, data, options); // its checks, before the database is opened
        const handle = await env.handle(workflowId);
        await handle.signal(signalId, data, options);
        env.print({ workflowId, signalId }, (v) => `signal '${v.signalId}' sent to ${v.workflowId}`);
      });
  },
};
