/** The job list's filters as the page's URL carries them (`?status=failed&workflow=…&cursor=…`). */
import { ValidationError } from '../errors.js';
import { type ListOptions, WORKFLOW_STATUSES, type WorkflowStatus } from '../manage/types.js';

/** The URL parameters of the filter form, in form order. */
export const FILTER_PARAMS = ['status', 'workflow', 'queue', 'entity', 'prefix', 'after', 'before'] as const;

function time(name: string, value: string | null): string | undefined {
  if (!value) return undefined;
  // <input type="datetime-local"> sends local time without a zone: read it as UTC, as the page shows times.
  const withZone = /[zZ]|[+-]\d\d:\d\d$/.test(value) ? value : `${value}Z`;
  const t = Date.parse(withZone);
  if (Number.isNaN(t)) throw new ValidationError(name, 'must be a date and time');
  return new Date(t).toISOString();
}

export function listOptionsFrom(params: URLSearchParams): ListOptions {
  const statuses = params.getAll('status').filter((s) => s !== '');
  for (const s of statuses) {
    if (!(WORKFLOW_STATUSES as readonly string[]).includes(s)) throw new ValidationError('status', `must be one of ${WORKFLOW_STATUSES.join(', ')}`);
  }
  const text = (name: string) => params.get(name) || undefined;
  const limit = params.get('limit');
  if (limit !== null && !/^\d{1,4}$/.test(limit)) throw new ValidationError('limit', 'must be an integer from 1 to 1000');
  return {
    status: statuses.length ? (statuses as WorkflowStatus[]) : undefined,
    workflowName: text('workflow'),
    taskQueue: text('queue'),
    entity: text('entity'),
    idPrefix: text('prefix'),
    createdAfter: time('after', params.get('after')),
    createdBefore: time('before', params.get('before')),
    cursor: text('cursor'),
    limit: limit === null ? 50 : Number(limit),
  };
}
