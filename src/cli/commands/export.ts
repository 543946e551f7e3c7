/**
 * `hotmesh export <id> [-o file]`: the workflow's WorkflowHistory (what `hotmesh replay` and
 * `MemFlow.testing.replay` take), with the rest of `handle.export()` under `export`. Written to the
 * file, or to stdout as JSON.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { CliCommand } from '../cli-command.js';
import { ValidationError } from '../../errors.js';
import type { WorkflowHistory } from '../../manage/types.js';

/** What the file holds: a WorkflowHistory, plus the job's export (data, state, status, timeline). */
export type ExportFile = WorkflowHistory & { export: Record<string, unknown> };

/** The output file's place: its directory must exist, and it must not be a directory itself. */
function checkOutput(output: string): void {
  const file = path.resolve(output);
  const dir = path.dirname(file);
  if (!fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory()) {
    throw new ValidationError('--output', `the directory ${dir} does not exist (create it first)`);
  }
  if (fs.statSync(file, { throwIfNoEntry: false })?.isDirectory()) {
    throw new ValidationError('--output', `${file} is a directory: name a file in it`);
  }
}

export const exportCommand: CliCommand = {
  names: ['export'],
  register(program, env) {
    program
      .command('export <workflowId>')
      .description('write the workflow history (replayable with `hotmesh replay`) and its export as JSON')
      .option('-o, --output <file>', 'write to this file instead of stdout')
      .action(async (workflowId: string, opts: { output?: string }) => {
        if (opts.output !== undefined) checkOutput(opts.output); // before the database is opened
        const { history, ...rest } = await (await env.handle(workflowId)).export();
        const file: ExportFile = { ...(history as WorkflowHistory), export: rest };
        const text = `${JSON.stringify(file, null, 2)}\n`;
        if (opts.output === undefined) {
          env.output.stdout(text);
          return;
        }
        try {
          fs.writeFileSync(opts.output, text);
        } catch (err) {
          throw new Error(`could not write ${path.resolve(opts.output)}: ${(err as Error).message}`);
        }
        const summary = { workflowId, file: path.resolve(opts.output), entries: file.entries.length };
        env.print(summary, (s) => `wrote ${s.file} (${s.entries} journal entries)`);
      });
  },
};
