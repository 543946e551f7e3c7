/**
 * Every `hotmesh` command, in the order `hotmesh --help` lists them. A new command is a file in this
 * folder exporting a CliCommand, one line here, and a row in the README's command table
 * (cli-errors.test.ts checks that `--help` and the README list every registered name).
 */
import type { CliCommand } from '../cli-command.js';
import { actionCommands } from './actions.js';
import { appsCommand } from './apps.js';
import { contextCommand } from './context.js';
import { countsCommand } from './counts.js';
import { dashboardCommand } from './dashboard.js';
import { describeCommand } from './describe.js';
import { exportCommand } from './export.js';
import { forkCommand } from './fork.js';
import { historyCommand } from './history.js';
import { hookCommand } from './hook.js';
import { listCommand } from './list.js';
import { migrateCommand } from './migrate.js';
import { replayCommand } from './replay.js';
import { signalCommand } from './signal.js';
import { startCommand } from './start.js';

export const COMMANDS: readonly CliCommand[] = [
  migrateCommand,
  appsCommand,
  listCommand,
  countsCommand,
  describeCommand,
  historyCommand,
  exportCommand,
  replayCommand,
  startCommand,
  signalCommand,
  hookCommand,
  contextCommand,
  actionCommands,
  forkCommand,
  dashboardCommand,
];
