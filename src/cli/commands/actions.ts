/**
 * `hotmesh cancel|terminate|resume|retry <id>`: the management API's actions on one job.
 *
 * - cancel [--reason]: graceful; the workflow's current or next durable wait throws a
 *   CancelledError it may catch to clean up; uncaught, the job ends `cancelled`;
 * - terminate [--reason]: ends it now, no more of its code runs;
 * - resume: replays a `parked` job with the code the workers run now;
 * - retry: runs a `failed` job again from its failed call.
 *
 * A job in a state the action does not apply to exits 1 with the WorkflowStateError naming it.
 */
import type { Command } from 'commander';
import type { CliCommand } from '../cli-command.js';
import type { CliEnv } from '../cli-env.js';
import type { WorkflowHandle } from '../../memflow/handle.js';
import { ValidationError } from '../../errors.js';
import { validateReason } from '../../manage/outcome.js';

type Action = 'cancel' | 'terminate' | 'resume' | 'retry';

const ACTIONS: ReadonlyArray<{ name: Action; description: string; reason: boolean; done: string }> = [
  { name: 'cancel', description: 'cancel a workflow gracefully (it may catch the CancelledError and clean up)', reason: true, done: 'cancellation requested for' },
  { name: 'terminate', description: 'end a workflow now: no more of its code runs', reason: true, done: 'terminated' },
  { name: 'resume', description: 'replay a parked workflow with the current code', reason: false, done: 'resumed' },
  { name: 'retry', description: 'run a failed workflow again from its failed call', reason: false, done: 'retrying' },
];

function run(handle: WorkflowHandle, action: Action, reason: string | undefined): Promise<void> {
  switch (action) {
    case 'cancel':
      return handle.cancel({ reason });
    case 'terminate':
      return handle.terminate({ reason });
    case 'resume':
      return handle.resume();
    case 'retry':
      return handle.retry();
  }
}

function register(program: Command, env: CliEnv, spec: (typeof ACTIONS)[number]): void {
  const command = program.command(`${spec.name} <workflowId>`).description(spec.description);
  if (spec.reason) command.option('--reason <text>', 'why (kept with the job)');
  command.action(async (workflowId: string, opts: { reason?: string }) => {
    // before the database opens, as every other argument (the API checks it after)
    try {
      validateReason({ reason: opts.reason });
    } catch (err) {
      if (err instanceof ValidationError) throw new ValidationError('--reason', err.rule);
      throw err;
    }
    await run(await env.handle(workflowId), spec.name, opts.reason);
    env.print({ workflowId, action: spec.name }, (v) => `${spec.done} ${v.workflowId}`);
  });
}

export const actionCommands: CliCommand = {
  names: ACTIONS.map((a) => a.name),
  register(program, env) {
    for (const spec of ACTIONS) register(program, env, spec);
  },
};
