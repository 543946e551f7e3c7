/**
 * Every named query, bound to one app's schema once, when the app is opened.
 */
import { createHash } from 'node:crypto';
import * as activities from '../sql/queries/activities.js';
import * as children from '../sql/queries/children.js';
import * as context from '../sql/queries/context.js';
import * as entities from '../sql/queries/entities.js';
import * as hooks from '../sql/queries/hooks.js';
import * as jobs from '../sql/queries/jobs.js';
import * as search from '../sql/queries/search.js';
import * as journal from '../sql/queries/journal.js';
import * as signals from '../sql/queries/signals.js';
import * as tasks from '../sql/queries/tasks.js';
import * as threads from '../sql/queries/threads.js';
import { bindSchema } from '../storage/sql-identifier.js';

const ALL = { ...jobs, ...tasks, ...journal, ...threads, ...signals, ...context, ...hooks, ...children, ...search, ...activities, ...entities };

export type QueryName = keyof typeof ALL;
export type AppSql = Record<QueryName, string>;

export function bindQueries(schema: string): AppSql {
  return Object.fromEntries(Object.entries(ALL).map(([name, text]) => [name, bindSchema(text, schema)])) as AppSql;
}

/** A prepared-statement name per (query, exact text): two apps on one pool never share one. */
export function statementNames(sql: AppSql): Record<QueryName, string> {
  return Object.fromEntries(
    Object.entries(sql).map(([name, text]) => [name, `hm_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`]),
  ) as Record<QueryName, string>;
}
