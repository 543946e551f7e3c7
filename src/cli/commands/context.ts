/**
 * `hotmesh context <op> <id> ...`: a job's context from outside, through the same atomic ops a
 * client has (JobContext): `get [path]`, `set [path] <json>`, `merge [path] <json>`,
 * `increment <path> [by]`, `append <path> <json>`, `delete <path>`, plus `log` (who changed what,
 * by version) and `at <version>` (the document as it was). Changes are recorded with the actor
 * `cli` unless `--actor` says otherwise. Every op prints what the op returns, as JSON.
 */
import type { Command } from 'commander';
import type { CliCommand } from '../cli-command.js';
import type { CliEnv } from '../cli-env.js';
import { ValidationError } from '../../errors.js';
import { buildOp } from '../../context/context-op.js';
import type { JobContext } from '../../memflow/job-context.js';
import { validateId } from '../../validation.js';
import { parseIntegerArgument, parseJsonArgument } from '../json-argument.js';
import { prettyJson, table, time } from '../table.js';

interface ActorOption {
  actor: string;
}

async function contextOf(env: CliEnv, workflowId: string, opts: ActorOption): Promise<JobContext> {
  validateId('workflowId', workflowId); // before the database is opened
  validateId('actor', opts.actor);
  return (await env.memflow()).workflow.context(workflowId, { actor: opts.actor });
}

/** For the reads that answer an unknown job with an empty value (`history`, `at`): JobNotFoundError first. */
async function existingContext(env: CliEnv, workflowId: string): Promise<JobContext> {
  const ctx = await contextOf(env, workflowId, { actor: 'cli' });
  await ctx.version();
  return ctx;
}

/** `[path] <json>`: one argument is the value (the whole document), two are a path and a value. */
function pathAndValue(first: string, second: string | undefined): { path?: string; value: unknown } {
  return second === undefined ? { value: parseJsonArgument('value', first) } : { path: first, value: parseJsonArgument('value', second) };
}

type OpName = 'get' | 'set' | 'merge' | 'increment' | 'append' | 'delete';
/**
 * What an op does with the context, made from its arguments before anything is opened: bad JSON,
 * then the path and value checks the op itself makes (buildOp), are refused first.
 */
type Prepared = { name: OpName; args: unknown[] };

function op(parent: Command, env: CliEnv, spec: string, description: string, prepare: (...args: string[]) => Prepared) {
  parent
    .command(spec)
    .description(description)
    .option('--actor <name>', 'who the context history records as the author', 'cli')
    .action(async (...received: unknown[]) => {
      // commander passes the declared arguments, then the options, then the command
      const [workflowId, ...rest] = received.slice(0, -2) as string[];
      const opts = received[received.length - 2] as ActorOption;
      const { name, args } = prepare(...rest);
      buildOp(name, args);
      const ctx = await contextOf(env, workflowId!, opts);
      env.print(await (ctx[name] as (...a: unknown[]) => Promise<unknown>).apply(ctx, args), prettyJson);
    });
}

export const contextCommand: CliCommand = {
  names: ['context'],
  register(program, env) {
    const context = program.command('context').description("read and change a workflow's context (its permanent JSON memory)");
    op(context, env, 'get <workflowId> [path]', 'the whole context, or the value at a dotted path (null when missing)', (path) => ({ name: 'get', args: [path] }));
    op(context, env, 'set <workflowId> <pathOrJson> [json]', 'replace the document (set <id> <json>) or the value at a path (set <id> <path> <json>)', (a, b) => {
      const { path, value } = pathAndValue(a!, b);
      return { name: 'set', args: path === undefined ? [value] : [path, value] };
    });
    op(context, env, 'merge <workflowId> <pathOrJson> [json]', 'deep-merge an object into the document, or at a path', (a, b) => {
      const { path, value } = pathAndValue(a!, b);
      return { name: 'merge', args: path === undefined ? [value] : [path, value] };
    });
    op(context, env, 'increment <workflowId> <path> [by]', 'add a number (default 1, negative to subtract) to the number at a path', (path, by) => {
      const amount = by === undefined ? 1 : parseJsonArgument('by', by);
      if (typeof amount !== 'number') throw new ValidationError('by', `must be a number (got ${by})`);
      return { name: 'increment', args: [path, amount] };
    });
    op(context, env, 'append <workflowId> <path> <json>', 'append one element to the array at a path', (path, json) => ({
      name: 'append',
      args: [path, parseJsonArgument('value', json!)],
    }));
    op(context, env, 'delete <workflowId> <path>', 'remove the value at a path', (path) => ({ name: 'delete', args: [path] }));

    context
      .command('log <workflowId>')
      .description("the context's history: every change, by version")
      .option('--after <version>', 'only changes after this version', '0')
      .option('--limit <n>', 'at most this many changes', '1000')
      .action(async (workflowId: string, opts: { after: string; limit: string }) => {
        const afterVersion = parseIntegerArgument('--after', opts.after, 0);
        const limit = parseIntegerArgument('--limit', opts.limit, 1, 100_000);
        const changes = await (await existingContext(env, workflowId)).history({ afterVersion, limit });
        const rows = changes.map((c) => ({ ...c, at: new Date(c.at).toISOString() }));
        env.print(rows, (list) =>
          table(
            ['VERSION', 'OP', 'PATH', 'ARG', 'ACTOR', 'AT'],
            list.map((c) => [c.version, c.op, c.path.join('.') || '(document)', c.arg, c.actor, time(c.at)]),
            '(no changes)',
          ),
        );
      });

    context
      .command('at <workflowId> <version>')
      .description('the context as it was at a version (see `context log`)')
      .action(async (workflowId: string, version: string) => {
        const v = parseIntegerArgument('version', version, 0);
        env.print(await (await existingContext(env, workflowId)).at(v), prettyJson);
      });
  },
};
