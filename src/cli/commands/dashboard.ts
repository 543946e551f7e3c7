/**
 * `hotmesh dashboard [--port 7070] [--host 127.0.0.1] [--read-only] [--token …]`: serve the web
 * dashboard on the database of `--url` / `--data-dir`, opened on `--app`, until SIGINT or SIGTERM.
 * Prints the URL; a non-loopback `--host` needs `--token` (HOTMESH_DASHBOARD_TOKEN).
 */
import { Option } from 'commander';
import { startDashboard } from '../../dashboard/dashboard.js';
import { resolveDashboardOptions } from '../../dashboard/dashboard-options.js';
import { ValidationError } from '../../errors.js';
import type { CliCommand } from '../cli-command.js';

interface DashboardFlags {
  port: string;
  host: string;
  readOnly: boolean;
  token?: string;
}

function untilStopped(): Promise<string> {
  return new Promise((resolve) => {
    const stop = (signal: string) => () => resolve(signal);
    process.once('SIGINT', stop('SIGINT'));
    process.once('SIGTERM', stop('SIGTERM'));
  });
}

export const dashboardCommand: CliCommand = {
  names: ['dashboard'],
  register(program, env) {
    program
      .command('dashboard')
      .description('serve the web dashboard (apps, jobs, timelines, memory, actions) until Ctrl-C')
      .option('--port <port>', 'TCP port (0: any free one)', '7070')
      .option('--host <host>', 'interface to bind; any non-loopback one requires --token', '127.0.0.1')
      .option('--read-only', 'hide every action and refuse their POSTs', false)
      .addOption(new Option('--token <token>', 'required of every request (header or login form), 16+ characters').env('HOTMESH_DASHBOARD_TOKEN'))
      .action(async (flags: DashboardFlags) => {
        if (!/^\d{1,5}$/.test(flags.port)) throw new ValidationError('--port', 'must be an integer from 0 to 65535');
        const served = { port: Number(flags.port), host: flags.host, readOnly: flags.readOnly, token: flags.token };
        try {
          resolveDashboardOptions(served); // refuse a bad port, or a public host without a token, before opening anything
        } catch (err) {
          // named as the flag the user typed (--port 99999 said "Invalid port")
          if (err instanceof ValidationError && ['port', 'host', 'token', 'readOnly'].includes(err.field)) {
            throw new ValidationError(err.field === 'readOnly' ? '--read-only' : `--${err.field}`, err.rule);
          }
          throw err;
        }
        const mf = await env.memflow();
        const dashboard = await startDashboard({ mf, ...served });
        env.print({ url: dashboard.url, appId: mf.appId, readOnly: flags.readOnly }, (v) => `dashboard of ${v.appId} at ${v.url}${v.readOnly ? ' (read-only)' : ''} (Ctrl-C stops it)`);
        await untilStopped();
        await dashboard.close();
      });
  },
};
