/**
 * `client.workflow.list(options)`: one page of jobs, newest first, by keyset over an index (migration
 * 0022), and `counts(filter)`: how many jobs match, per status.
 */
import type { Engine } from '../engine/engine.js';
import { ValidationError } from '../errors.js';
import * as manage from '../sql/queries/manage.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { filterParams } from './filter.js';
import { workflowStatus } from './status.js';
import { WORKFLOW_STATUSES, type ListOptions, type WorkflowFilter, type WorkflowListItem, type WorkflowPage, type WorkflowStatus } from './types.js';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 1000;

/** The options of `list` checked and turned into the query's parameters (no SQL runs before this). */
export function listParams(given?: ListOptions | null) {
  const options = given ?? {}; // list(null) lists as list() does
  const filter = filterParams(options, ['limit', 'cursor']);
  const limit = options.limit ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
    throw new ValidationError('limit', `must be an integer from 1 to ${MAX_PAGE_SIZE}`);
  }
  const keyset = options.cursor === undefined || options.cursor === null ? null : decodeCursor(options.cursor);
  return { ...filter, cursorAt: keyset?.at ?? null, cursorId: keyset?.id ?? null, limit };
}

export function toListItem(row: manage.ListRow): WorkflowListItem {
  return {
    workflowId: row.id,
    workflowName: row.workflow_name,
    taskQueue: row.task_queue,
    entity: row.entity,
    status: workflowStatus(row.status, row.waiting),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    completedAt: row.completed_at,
    parentId: row.parent_id,
  };
}

export async function listWorkflows(engine: Engine, options: ListOptions = {}): Promise<WorkflowPage> {
  const params = listParams(options);
  // one more than a page: whether a next page exists, without a second query
  const res = await engine.query(manage.listJobs, { ...params, limit: params.limit + 1 });
  const rows = res.rows.slice(0, params.limit);
  const last = rows[rows.length - 1];
  return {
    items: rows.map(toListItem),
    nextCursor: res.rows.length > params.limit && last ? encodeCursor({ at: last.cursor_at, id: last.id }) : null,
  };
}

/** How many jobs match `filter`, for every status (0 where none). */
export async function countWorkflows(engine: Engine, filter: WorkflowFilter = {}): Promise<Record<WorkflowStatus, number>> {
  const params = filterParams(filter);
  const counts = Object.fromEntries(WORKFLOW_STATUSES.map((s) => [s, 0])) as Record<WorkflowStatus, number>;
  const res = await engine.query(manage.countJobs, params);
  for (const row of res.rows) {
    const status = workflowStatus(row.status, row.waiting);
    counts[status] = (counts[status] ?? 0) + Number(row.n);
  }
  return counts;
}

/** The app ids in this database (schemas that hold this engine's tables). */
export async function listApps(engine: Engine): Promise<string[]> {
  const res = await engine.query(manage.listApps, {});
  return res.rows.map((r) => r.app_id);
}
