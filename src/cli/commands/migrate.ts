/**
 * `hotmesh migrate [--dry-run] [--print-sql]`: apply the app's pending migrations (creating the app
 * if the database has none of that name), or only show them. `--print-sql` prints their SQL, bound
 * to the app's schema, for review; it applies nothing (HotMesh records what it applies itself, so
 * apply with `hotmesh migrate`, not by running the printed SQL).
 */
import type { CliCommand } from '../cli-command.js';
import { migrate, migrationLabel as label, planMigrations } from '../../storage/migrate.js';
import { bindSchema } from '../../storage/sql-identifier.js';

/** What `--json` prints. */
export interface MigrateReport {
  appId: string;
  schema: string;
  /** Applied by this run (none with --dry-run / --print-sql). */
  applied: string[];
  /** Still to apply (none after a real run). */
  pending: string[];
}

function describe(r: MigrateReport): string {
  const where = `app '${r.appId}' (schema ${r.schema})`;
  if (r.applied.length > 0) return `${where}: applied ${r.applied.length} migration(s): ${r.applied.join(', ')}`;
  if (r.pending.length > 0) return `${where}: would apply ${r.pending.length} migration(s): ${r.pending.join(', ')}`;
  return `${where}: up to date`;
}

export const migrateCommand: CliCommand = {
  names: ['migrate'],
  register(program, env) {
    program
      .command('migrate')
      .description("apply the app's pending migrations (creates the app if it does not exist)")
      .option('--dry-run', 'show what would be applied, apply nothing', false)
      .option('--print-sql', 'print the SQL of the pending migrations (bound to the schema), apply nothing', false)
      .action(async (opts: { dryRun: boolean; printSql: boolean }) => {
        const { app } = env.options;
        await env.withDatabase(async (driver) => {
          const plan = await planMigrations(driver, app);
          if (opts.printSql) {
            const pending = plan.pending.map((m) => ({ migration: label(m), sql: bindSchema(m.sql, plan.schema) }));
            env.print({ appId: app, schema: plan.schema, pending }, (v) =>
              v.pending.length === 0 ? `-- app '${app}' (schema ${v.schema}): up to date` : v.pending.map((p) => `-- ${p.migration}\n${p.sql.trimEnd()}\n`).join('\n'),
            );
            return;
          }
          if (opts.dryRun) {
            env.print<MigrateReport>({ appId: app, schema: plan.schema, applied: [], pending: plan.pending.map(label) }, describe);
            return;
          }
          const applied: string[] = [];
          const schema = await migrate(driver, app, undefined, (m) => applied.push(label(m)));
          env.print<MigrateReport>({ appId: app, schema, applied, pending: [] }, describe);
        });
      });
  },
};
