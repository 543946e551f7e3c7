/** `hotmesh apps`: the apps of the database (one schema each), with their newest migration. */
import type { CliCommand } from '../cli-command.js';
import { registeredApps } from '../../storage/migrate.js';
import { table, time } from '../table.js';

export const appsCommand: CliCommand = {
  names: ['apps'],
  register(program, env) {
    program
      .command('apps')
      .description('list the apps of the database')
      .action(async () => {
        const apps = await env.withDatabase(registeredApps);
        env.print(apps, (list) =>
          table(
            ['APP', 'SCHEMA', 'MIGRATION', 'CREATED'],
            list.map((a) => [a.appId, a.schema, a.migration === null ? null : String(a.migration).padStart(4, '0'), time(a.createdAt)]),
            '(no apps: run `hotmesh migrate` or start a worker)',
          ),
        );
      });
  },
};
