/**
 * Named queries across jobs of one entity (upstream's Entity.find*). Entity.find's own query is
 * assembled per call, so that it can use the indexes createIndex builds: see find-entities.ts.
 */
import { defineQuery } from '../define-query.js';

export interface EntityRowData {
  id: string;
  context: unknown;
  status: string;
}

export const findEntityById = defineQuery<{ entity: string; jobId: string }, EntityRowData>(/* sql */ `
SELECT id, context, status FROM {{schema}}.jobs WHERE entity = $entity AND id = $jobId`);

/**
 * Entity.createIndex: a partial index on one context field (migration 0013). Idempotent. No statement
 * deadline: building an index over many jobs may take minutes.
 */
export const createEntityIndex = defineQuery<{ name: string; entity: string; field: string; kind: 'gin' | 'btree' }, { name: string }>(
  /* sql */ `
SELECT {{schema}}.create_entity_index($name, $entity, $field, $kind) AS name`,
  { noDeadline: true },
);
