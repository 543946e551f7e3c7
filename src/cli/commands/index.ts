/**
 * Every `hotmesh` command, in the order `hotmesh --help` lists them. A new command is a file in this
 * folder exporting a CliCommand, and one line here.
 */
import type { CliCommand } from '../cli-command.js';
import { appsCommand } from './apps.js';
import { contextCommand } from './context.js';
import { hookCommand } from './hook.js';
import { migrateCommand } from './migrate.js';
import { signalCommand } from './signal.js';
import { startCommand } from './start.js';

export const COMMANDS: readonly CliCommand[] = [
  migrateCommand,
  appsCommand,
  startCommand,
  signalCommand,
  hookCommand,
  contextCommand,
];
