/**
 * Reading a job's search fields from outside (upstream's `Search.findAllUserData`, `queryState`).
 */
import type { Engine } from '../engine/engine.js';
import { validateId } from '../validation.js';

export async function readFields(engine: Engine, jobId: string): Promise<Record<string, string>> {
  validateId('workflowId', jobId);
  const res = await engine.query<{ field: string; value: string }>('readAttributes', [jobId]);
  return Object.fromEntries(res.rows.map((r) => [r.field, r.value]));
}

/** User fields (stored `_<key>`) with the `_` removed. */
export function userFields(fields: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(fields).filter(([k]) => k.startsWith('_')).map(([k, v]) => [k.slice(1), v]));
}

/** Upstream's static `Search` helpers. `hotMesh` is what `handle.hotMesh` / `client.getHotMeshClient` give. */
export const SearchQueries = {
  async findAllUserData(jobId: string, hotMesh: { engine: Engine }): Promise<Record<string, string>> {
    return userFields(await readFields(hotMesh.engine, jobId));
  },
  /** Search fields live in `<schema>.jobs_attributes` (indexed on field, value): there is no FT index to list. */
  async listSearchIndexes(_hotMesh?: unknown): Promise<string[]> {
    return [];
  },
  /** Accepted for compatibility: PostgreSQL needs no search-index configuration. */
  async configureSearchIndex(_hotMesh?: unknown, _search?: unknown): Promise<void> {},
};
