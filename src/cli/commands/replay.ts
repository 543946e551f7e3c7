/**
 * `hotmesh replay <file> --module <path> --export <name>`: replay a recorded history (from
 * `hotmesh export`, or `handle.history()` saved as JSON) against a workflow function of your code,
 * with no database (MemFlow.testing.replay). Exit 0: the code is compatible; exit 1: it diverges,
 * and the first divergent call is named (its seq, what was recorded, what the code calls now).
 *
 * The module is imported by Node as it is: JavaScript, or TypeScript when the CLI runs under a
 * loader that handles it (`npx tsx node_modules/hotmesh/dist/cli/main.js replay ...`).
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CliCommand } from '../cli-command.js';
import { isHotMeshError, type NonDeterminismError, ValidationError } from '../../errors.js';
import { MemFlow } from '../../memflow/memflow.js';
import { EXIT } from '../exit-codes.js';
import { parseJsonArgument } from '../json-argument.js';

/** What `--json` prints. */
export interface ReplayReport {
  compatible: boolean;
  file: string;
  workflow: string;
  /** The first divergent call (compatible: false). */
  divergence?: { thread: string; seq: number; recorded: string; attempted: string; message: string };
}

async function loadFunction(modulePath: string, exportName: string): Promise<(...args: any[]) => unknown> {
  const resolved = path.resolve(modulePath);
  if (!fs.existsSync(resolved)) throw new ValidationError('--module', `no such file: ${resolved}`);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(resolved).href)) as Record<string, unknown>;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ERR_UNKNOWN_FILE_EXTENSION') {
      throw new ValidationError('--module', `Node cannot import ${path.extname(resolved)} files by itself: point at the compiled JavaScript, or run the CLI under tsx (npx tsx node_modules/hotmesh/dist/cli/main.js replay ...)`);
    }
    throw err;
  }
  const fn = mod[exportName];
  if (typeof fn !== 'function') {
    const found = Object.keys(mod).filter((k) => typeof mod[k] === 'function');
    throw new ValidationError('--export', `${modulePath} has no exported function '${exportName}' (its exported functions: ${found.join(', ') || 'none'})`);
  }
  return fn as (...args: any[]) => unknown;
}

export const replayCommand: CliCommand = {
  names: ['replay'],
  register(program, env) {
    program
      .command('replay <file>')
      .description('replay a recorded history against your workflow code, with no database (exit 1: it diverges)')
      .requiredOption('--module <path>', 'the module that exports the workflow function')
      .requiredOption('--export <name>', 'the exported workflow function')
      .action(async (file: string, opts: { module: string; export: string }) => {
        if (!fs.existsSync(file)) throw new ValidationError('file', `no such file: ${path.resolve(file)}`);
        const history = parseJsonArgument(`history file ${file}`, fs.readFileSync(file, 'utf8'));
        const fn = await loadFunction(opts.module, opts.export);
        const report: ReplayReport = { compatible: true, file: path.resolve(file), workflow: `${opts.module}#${opts.export}` };
        try {
          await MemFlow.testing.replay(history as Parameters<typeof MemFlow.testing.replay>[0], fn);
        } catch (err) {
          if (!isHotMeshError(err, 'NonDeterminismError')) throw err;
          const nd = err as NonDeterminismError;
          report.compatible = false;
          report.divergence = { thread: nd.thread, seq: nd.seq, recorded: nd.recorded, attempted: nd.attempted, message: nd.message };
          env.exitCode = EXIT.failed;
        }
        const { divergence } = report;
        if (divergence) {
          env.output.stderr(
            `hotmesh: ${report.workflow} diverges from ${file} at seq ${divergence.seq} (thread ${divergence.thread}): ` +
              `the history recorded ${divergence.recorded}, the code now calls ${divergence.attempted}\n`,
          );
          if (env.options.json) env.print(report, () => '');
          return;
        }
        env.print(report, (r) => `compatible: ${r.workflow} replays ${r.file} without divergence`);
      });
  },
};
