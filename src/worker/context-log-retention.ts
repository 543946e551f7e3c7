/**
 * How much of each job's context log an app keeps (issue 12, bounded growth). By default all of it:
 * records are permanent. `{ versions: N }` keeps at least the last N versions of every job's log,
 * `{ period: '30 days' }` at least the entries of the last 30 days. The sweeper deletes older entries
 * in whole checkpoints (every 32nd version holds the document, migration 0048), so time travel to
 * every kept version still works; a version before what is kept is refused with a typed error.
 * Entries a thread's journal refers to (a large context result, migration 0028) are never deleted,
 * nor are entries made with an op id (they make a retried op apply once).
 */
import { parseDurationMs } from '../duration.js';
import { ValidationError } from '../errors.js';

export type ContextLogRetention = { versions: number } | { period: string | number };

/** The policy as the sweeper uses it: at most one bound set. */
export interface ContextLogBound {
  keepVersions: number | null;
  olderThanSeconds: number | null;
}

/** Check a `contextLogRetention` option (before anything opens); undefined: keep everything. */
export function parseContextLogRetention(value: unknown, field: string): ContextLogBound | undefined {
  if (value === undefined) return undefined;
  const shape = `must be { versions: <positive integer> } or { period: '30 days' | <ms> }`;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new ValidationError(field, shape);
  const keys = Object.keys(value);
  if (keys.length !== 1 || (keys[0] !== 'versions' && keys[0] !== 'period')) throw new ValidationError(field, shape);
  if ('versions' in value) {
    const n = (value as { versions: unknown }).versions;
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1) throw new ValidationError(`${field}.versions`, 'must be a positive integer');
    return { keepVersions: n, olderThanSeconds: null };
  }
  return { keepVersions: null, olderThanSeconds: parseDurationMs((value as { period: unknown }).period, `${field}.period`) / 1000 };
}
