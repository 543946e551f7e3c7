/**
 * Named queries across jobs of one entity (upstream's Entity.find*). Conditions are built from a
 * fixed set of comparison forms; field names and values are always bound parameters.
 */
import { defineQuery } from '../define-query.js';

export interface EntityRowData {
  id: string;
  context: unknown;
  status: string;
}

/**
 * Rows of `entity` matching every (field, op, value) triple in `conditions` (jsonb array), newest first. A
 * numeric comparison skips values that are not numbers instead of failing the query.
 */
export const findEntities = defineQuery<{ entity: string; conditions: string; limit: number; offset: number }, EntityRowData>(/* sql */ `
SELECT j.id, j.context, j.status
  FROM {{schema}}.jobs j
 WHERE j.entity = $entity
   AND NOT EXISTS (
     SELECT 1 FROM jsonb_to_recordset($conditions::jsonb) AS c(field text, op text, value jsonb)
      WHERE NOT CASE c.op
        WHEN '=' THEN j.context ->> c.field = c.value #>> '{}'
        WHEN '!=' THEN j.context ->> c.field IS DISTINCT FROM c.value #>> '{}'
        WHEN '>' THEN CASE WHEN jsonb_typeof(c.value) = 'number' THEN (CASE WHEN j.context ->> c.field ~ '^\s*-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?\s*$' THEN (j.context ->> c.field)::numeric END) > (c.value #>> '{}')::numeric ELSE j.context ->> c.field > c.value #>> '{}' END
        WHEN '>=' THEN CASE WHEN jsonb_typeof(c.value) = 'number' THEN (CASE WHEN j.context ->> c.field ~ '^\s*-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?\s*$' THEN (j.context ->> c.field)::numeric END) >= (c.value #>> '{}')::numeric ELSE j.context ->> c.field >= c.value #>> '{}' END
        WHEN '<' THEN CASE WHEN jsonb_typeof(c.value) = 'number' THEN (CASE WHEN j.context ->> c.field ~ '^\s*-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?\s*$' THEN (j.context ->> c.field)::numeric END) < (c.value #>> '{}')::numeric ELSE j.context ->> c.field < c.value #>> '{}' END
        WHEN '<=' THEN CASE WHEN jsonb_typeof(c.value) = 'number' THEN (CASE WHEN j.context ->> c.field ~ '^\s*-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?\s*$' THEN (j.context ->> c.field)::numeric END) <= (c.value #>> '{}')::numeric ELSE j.context ->> c.field <= c.value #>> '{}' END
        WHEN 'LIKE' THEN j.context ->> c.field LIKE c.value #>> '{}'
        WHEN 'IN' THEN j.context ->> c.field IN (SELECT jsonb_array_elements_text(c.value))
        ELSE false
      END IS TRUE)
 ORDER BY j.created_at DESC, j.id
 LIMIT $limit OFFSET $offset`);

export const findEntityById = defineQuery<{ entity: string; jobId: string }, EntityRowData>(/* sql */ `
SELECT id, context, status FROM {{schema}}.jobs WHERE entity = $entity AND id = $jobId`);
