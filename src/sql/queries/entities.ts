/**
 * Named queries across jobs of one entity (upstream's Entity.find*). Entity.find's own query is
 * assembled per call, so that it can use the indexes createIndex builds: see find-entities.ts.
 */

export const findEntityById = /* sql */ `
SELECT id, context, status FROM {{schema}}.jobs WHERE entity = $1 AND id = $2`;
