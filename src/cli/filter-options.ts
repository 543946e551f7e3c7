/**
 * The filter flags `list` and `counts` share, and the WorkflowFilter they make. The values go to the
 * management API as they are: it validates them (a ValidationError naming the field) before any SQL.
 */
import type { Command } from 'commander';
import { isHotMeshError, ValidationError } from '../errors.js';
import type { WorkflowFilter, WorkflowStatus } from '../manage/types.js';

export interface FilterFlags {
  status?: string;
  workflow?: string;
  taskQueue?: string;
  entity?: string;
  idPrefix?: string;
  createdAfter?: string;
  createdBefore?: string;
  search: string[];
}

export function addFilterOptions(command: Command): Command {
  return command
    .option('--status <list>', 'comma-separated: running, waiting, completed, failed, parked, cancelled, terminated')
    .option('--workflow <name>', 'the workflow function name')
    .option('--task-queue <queue>', 'the task queue')
    .option('--entity <name>', 'the entity')
    .option('--id-prefix <prefix>', 'workflow ids starting with this')
    .option('--created-after <iso>', 'created at or after this instant (ISO 8601)')
    .option('--created-before <iso>', 'created before this instant (ISO 8601)')
    .option('--search <field=value>', 'a search field equal to a value (repeatable)', (v: string, all: string[]) => [...all, v], [] as string[]);
}

export function filterOf(flags: FilterFlags): WorkflowFilter {
  const filter: WorkflowFilter = {};
  if (flags.status !== undefined) filter.status = flags.status.split(',').map((s) => s.trim()) as WorkflowStatus[];
  if (flags.workflow !== undefined) filter.workflowName = flags.workflow;
  if (flags.taskQueue !== undefined) filter.taskQueue = flags.taskQueue;
  if (flags.entity !== undefined) filter.entity = flags.entity;
  if (flags.idPrefix !== undefined) filter.idPrefix = flags.idPrefix;
  if (flags.createdAfter !== undefined) filter.createdAfter = flags.createdAfter;
  if (flags.createdBefore !== undefined) filter.createdBefore = flags.createdBefore;
  if (flags.search.length > 0) {
    const pairs = flags.search.map((pair) => {
      const at = pair.indexOf('=');
      if (at <= 0) throw new ValidationError('--search', `must be field=value (got '${pair}')`);
      return [pair.slice(0, at), pair.slice(at + 1)] as const;
    });
    // own properties whatever the field: an assignment to '__proto__' set nothing, and listed every job
    filter.search = Object.fromEntries(pairs);
  }
  return filter;
}

/** The API's field names as the flags that set them, so a refusal names what the user typed. */
const FLAG_OF: Readonly<Record<string, string>> = {
  status: '--status',
  workflowName: '--workflow',
  taskQueue: '--task-queue',
  entity: '--entity',
  idPrefix: '--id-prefix',
  createdAfter: '--created-after',
  createdBefore: '--created-before',
  search: '--search',
  limit: '--limit',
  cursor: '--cursor',
};

/** Run the API's own check of the options now (before anything is opened), naming flags in its refusals. */
export function checkFlags(check: () => unknown): void {
  try {
    check();
  } catch (err) {
    if (isHotMeshError(err, 'ValidationError')) {
      const { field, rule } = err as ValidationError;
      throw new ValidationError(FLAG_OF[field] ?? field, rule);
    }
    throw err;
  }
}
