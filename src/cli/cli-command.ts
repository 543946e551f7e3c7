/**
 * One CLI command (or a group of them, `context get|set|...`): it adds itself to the program. Each
 * lives in its own file under commands/ and is listed once in commands/index.ts.
 */
import type { Command } from 'commander';
import type { CliEnv } from './cli-env.js';

export interface CliCommand {
  /** The command word(s), for the registry's own checks. */
  readonly names: readonly string[];
  register(program: Command, env: CliEnv): void;
}
