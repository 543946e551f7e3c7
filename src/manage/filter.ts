/**
 * A WorkflowFilter checked and turned into the parameters of the SQL filter (migration 0022's
 * job_filter). Everything is checked before any SQL runs; a bad field gets a ValidationError naming it.
 */
import { ValidationError } from '../errors.js';
import type { FilterParams } from '../sql/queries/manage.js';
import { MAX_PAYLOAD_BYTES } from '../json-value.js';
import { validateFunctionName, validateId, validateTaskQueue, validateText } from '../validation.js';
import { fieldName } from '../search-rules.js';
import { storedStatuses } from './status.js';
import { WORKFLOW_STATUSES, type WorkflowFilter, type WorkflowStatus } from './types.js';

const FILTER_KEYS = ['status', 'workflowName', 'taskQueue', 'entity', 'idPrefix', 'createdAfter', 'createdBefore', 'search'];
/**
 * Search fields in one filter at most. Each is a join of its own, and the planner's work grows much
 * faster than their number (a black-box pass: 50 fields took 0.4 s, 300 ran into the statement
 * timeout on PostgreSQL and blocked PGlite for 30 s).
 */
export const MAX_SEARCH_FIELDS = 16;

/** A day, and optionally a time (`T` or a space before it, as the CLI's tables print it) and a zone. */
const ISO_8601 = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)(Z|[+-]\d{2}:?\d{2})?)?$/i;

/**
 * A Date, or a string in ISO 8601's form. A time without a zone is UTC, as the CLI and the dashboard
 * show times (Date alone would read it, and 'Dec 1 2026', as this process's local time); a day that
 * does not exist (2026-02-30) is refused rather than rolled into the next month.
 */
function parseInstant(field: string, value: unknown): Date | undefined {
  if (value instanceof Date) return value;
  if (typeof value !== 'string') return undefined;
  const m = ISO_8601.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, time, zone] = m;
  const daysInMonth = new Date(Date.UTC(Number(y), Number(mo), 0)).getUTCDate();
  if (Number(mo) < 1 || Number(mo) > 12 || Number(d) < 1 || Number(d) > daysInMonth) {
    throw new ValidationError(field, `names a day that does not exist (${y}-${mo}-${d})`);
  }
  return new Date(`${y}-${mo}-${d}T${time ?? '00:00'}${zone ?? 'Z'}`);
}

function instant(field: string, value: unknown): string | null {
  if (value === undefined || value === null) return null;
  const date = parseInstant(field, value);
  if (!date || Number.isNaN(date.getTime())) throw new ValidationError(field, 'must be a Date or an ISO 8601 date string (a time without a zone is UTC)');
  // JavaScript dates reach years PostgreSQL refuses (year 0, 275760, BC years): a DatabaseError before
  const year = date.getUTCFullYear();
  if (year < 1 || year > 9999) throw new ValidationError(field, `must be a date between the years 1 and 9999 (got year ${year})`);
  return date.toISOString();
}

function optionalId(field: string, value: unknown): string | null {
  return value === undefined || value === null ? null : validateId(field, value);
}

/** The statuses a filter asks for (one or an array, each a WorkflowStatus). */
function statusesOf(value: unknown): WorkflowStatus[] | null {
  if (value === undefined || value === null) return null;
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0) throw new ValidationError('status', 'must name at least one status');
  for (const s of list) {
    if (!WORKFLOW_STATUSES.includes(s)) {
      throw new ValidationError('status', `must be one of ${WORKFLOW_STATUSES.join(', ')} (got ${typeof s === 'string' ? JSON.stringify(s) : typeof s})`);
    }
  }
  return list as WorkflowStatus[];
}

/** `extraKeys`: other option names the caller accepts besides the filter's (list's limit, cursor). */
export function filterParams(filter: unknown, extraKeys: readonly string[] = []): FilterParams {
  if (filter === undefined || filter === null) filter = {};
  if (typeof filter !== 'object' || Array.isArray(filter)) throw new ValidationError('filter', 'must be an object');
  const f = filter as WorkflowFilter & Record<string, unknown>;
  for (const key of Object.keys(f)) {
    if (!FILTER_KEYS.includes(key) && !extraKeys.includes(key)) {
      throw new ValidationError('filter', `unknown field '${key}' (known: ${[...FILTER_KEYS, ...extraKeys].join(', ')})`);
    }
  }
  const statuses = statusesOf(f.status);
  const stored = statuses ? storedStatuses(statuses) : { statuses: null, waiting: null };
  let fields: string[] | null = null;
  let values: string[] | null = null;
  if (f.search !== undefined && f.search !== null) {
    if (typeof f.search !== 'object' || Array.isArray(f.search)) throw new ValidationError('search', 'must be an object of field: value strings');
    const entries = Object.entries(f.search);
    if (entries.length > MAX_SEARCH_FIELDS) throw new ValidationError('search', `must name at most ${MAX_SEARCH_FIELDS} fields (got ${entries.length})`);
    for (const [k, v] of entries) {
      // any field a job can hold (the rule start, search() and enrich() store by)
      try {
        fieldName(k);
      } catch (err) {
        throw new ValidationError('search', `field ${JSON.stringify(k)} ${(err as ValidationError).rule}`);
      }
      if (typeof v !== 'string') throw new ValidationError('search', `value of '${k}' must be a string`);
      // as a start refuses it: no job holds a NUL or a lone surrogate (one matched U+FFFD before)
      validateText(`search value of '${k}'`, v, MAX_PAYLOAD_BYTES);
    }
    if (entries.length > 0) {
      fields = entries.map(([k]) => fieldName(k)); // as stored: '_' + the key, or a '"raw"' key as is
      values = entries.map(([, v]) => v as string);
    }
  }
  return {
    statuses: stored.statuses,
    waiting: stored.waiting,
    workflowName: f.workflowName === undefined || f.workflowName === null ? null : validateFunctionName(f.workflowName),
    taskQueue: f.taskQueue === undefined || f.taskQueue === null ? null : validateTaskQueue(f.taskQueue),
    entity: optionalId('entity', f.entity),
    idPrefix: optionalId('idPrefix', f.idPrefix),
    createdAfter: instant('createdAfter', f.createdAfter),
    createdBefore: instant('createdBefore', f.createdBefore),
    fields,
    values,
  };
}
