/**
 * Upstream's static `Search` helpers. `hotMesh` is what `handle.hotMesh` / `client.getHotMeshClient` give.
 */
import type { Engine } from '../engine/engine.js';
import { engineOf } from '../memflow/entity.js';
import { readFields, userFields } from '../memflow/search-fields.js';
import { validateId } from '../validation.js';

export const SearchQueries = {
  async findAllUserData(jobId: string, hotMesh: { engine: Engine }): Promise<Record<string, string>> {
    // refused as the Entity statics refuse them (a bad handle was a TypeError from deep inside)
    validateId('jobId', jobId);
    return userFields(await readFields(engineOf(hotMesh), jobId));
  },
  /** Search fields live in `<schema>.jobs_attributes` (indexed on field, value): there is no FT index to list. */
  async listSearchIndexes(_hotMesh?: unknown): Promise<string[]> {
    return [];
  },
  /** Accepted for compatibility: PostgreSQL needs no search-index configuration. */
  async configureSearchIndex(_hotMesh?: unknown, _search?: unknown): Promise<void> {},
};
