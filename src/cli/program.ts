/**
 * The `hotmesh` program: global options, the commands of commands/index.ts, and the run that turns
 * whatever a command throws into an exit code and one line on stderr (failure.ts). `runCli` never
 * calls process.exit: the bin does, once the output is flushed.
 */
import fs from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { type CliOutput, CliEnv, type GlobalOptions } from './cli-env.js';
import { COMMANDS } from './commands/index.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import { describeFailure } from './failure.js';

/** The package's version: the nearest package.json above this file that is hotmesh's. */
function packageVersion(): string {
  let dir = new URL('.', import.meta.url);
  for (let up = 0; up < 8; up++) {
    try {
      const pkg = JSON.parse(fs.readFileSync(new URL('package.json', dir), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'hotmesh' && pkg.version) return pkg.version;
    } catch {
      // none here: look one level up
    }
    dir = new URL('..', dir);
  }
  return 'unknown';
}

function buildProgram(output: CliOutput): { program: Command; env: CliEnv } {
  const program = new Command('hotmesh');
  const env = new CliEnv(() => program.opts<GlobalOptions>(), output);
  program
    .description('Operate HotMesh workflows: migrate, list, describe, signal, read and change context, replay histories.')
    .option('--url <url>', 'PostgreSQL connection URL (default: DATABASE_URL, else the embedded database)')
    .addOption(new Option('--data-dir <dir>', 'embedded (PGlite) data directory (default: HOTMESH_DATA_DIR, else ./.hotmesh)'))
    .addOption(new Option('--app <appId>', 'the app (its schema)').env('HOTMESH_APP').default('memflow'))
    .option('--json', 'machine output: the objects of the management API, as JSON', false)
    .option('--verbose', 'print the stack of an error', false)
    .version(packageVersion(), '-V, --version', 'print the version')
    .showSuggestionAfterError()
    .exitOverride()
    .configureOutput({ writeOut: (s) => output.stdout(s), writeErr: (s) => output.stderr(s) });
  // subcommands inherit the override and the output (commander copies them when they are added)
  for (const command of COMMANDS) command.register(program, env);
  return { program, env };
}

/** Run one command line (`argv` without node and the script). Resolves to the exit code. */
export async function runCli(argv: readonly string[], output: CliOutput): Promise<ExitCode> {
  const { program, env } = buildProgram(output);
  let code: ExitCode = EXIT.ok;
  try {
    await program.parseAsync([...argv], { from: 'user' });
    code = env.exitCode ?? EXIT.ok;
  } catch (err) {
    const failure = describeFailure(err);
    code = failure.code;
    if (failure.message) output.stderr(`hotmesh: ${failure.message}\n`);
    if (failure.hint) output.stderr(`hint: ${failure.hint}\n`);
    if (!(err instanceof CommanderError) && program.opts<GlobalOptions>().verbose && err instanceof Error && err.stack) output.stderr(`${err.stack}\n`);
  } finally {
    await env.close().catch((err: unknown) => output.stderr(`hotmesh: while closing: ${err instanceof Error ? err.message : String(err)}\n`));
  }
  return code;
}
