/**
 * Reading a job's search fields from outside (handle.queryState, handle.export, Search statics).
 */
import type { Engine } from '../engine/engine.js';
import * as search from '../sql/queries/search.js';
import { validateId } from '../validation.js';

export async function readFields(engine: Engine, jobId: string): Promise<Record<string, string>> {
  validateId('workflowId', jobId);
  const res = await engine.query(search.readAttributes, { jobId });
  return Object.fromEntries(res.rows.map((r) => [r.field, r.value]));
}

/** User fields (stored `_<key>`) with the `_` removed. */
export function userFields(fields: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(fields).filter(([k]) => k.startsWith('_')).map(([k, v]) => [k.slice(1), v]));
}
