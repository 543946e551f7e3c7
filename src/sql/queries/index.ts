/**
 * Every named query the engine runs, by name (diagnostics: the bench's statement tally, tests that
 * inject faults into one chosen statement).
 */
import type { Query } from '../define-query.js';
import * as activities from './activities.js';
import * as children from './children.js';
import * as context from './context.js';
import * as entities from './entities.js';
import * as grouped from './grouped.js';
import * as hooks from './hooks.js';
import * as jobs from './jobs.js';
import * as journal from './journal.js';
import * as manage from './manage.js';
import * as search from './search.js';
import * as signals from './signals.js';
import * as tasks from './tasks.js';
import * as threads from './threads.js';

function queriesOf(...modules: object[]): Readonly<Record<string, Query<any, any>>> {
  const all: Record<string, Query<any, any>> = {};
  for (const m of modules) {
    for (const [name, value] of Object.entries(m)) {
      if (value && typeof value === 'object' && typeof (value as Query<any, any>).text === 'string') all[name] = value as Query<any, any>;
    }
  }
  return Object.freeze(all);
}

export const NAMED_QUERIES = queriesOf(jobs, tasks, journal, threads, signals, context, hooks, children, search, activities, entities, manage, grouped);
