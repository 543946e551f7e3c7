/**
 * `MemFlow.Entity` (README-era name `MemFlow.Context`): the context class, plus upstream's static
 * queries over the jobs of one entity (`start({ entity })`). Rows are `{ key, context, status }`,
 * newest first; `key` is upstream's `hmsh:<namespace>:j:<id>`.
 */
import { Context } from '../context/context-handle.js';
import type { Engine } from '../engine/engine.js';
import { ValidationError } from '../errors.js';
import { encodeJson } from '../json-value.js';
import { type EntityCondition, type EntityOp, FIELD_NAME, findEntitiesQuery } from '../sql/queries/find-entities.js';
import * as entities from '../sql/queries/entities.js';
import { validateId } from '../validation.js';

type EngineRef = { engine: Engine };
export interface EntityRow {
  key: string;
  context: unknown;
  status: number;
}
interface Page {
  limit?: number;
  offset?: number;
}

const OPS: readonly EntityOp[] = ['=', '!=', '>', '<', '>=', '<=', 'LIKE', 'IN'];
const MONGO: Record<string, EntityOp> = { $eq: '=', $ne: '!=', $gt: '>', $gte: '>=', $lt: '<', $lte: '<=', $in: 'IN' };

function toRow(engine: Engine, r: { id: string; context: unknown; status: string }): EntityRow {
  return { key: `hmsh:${engine.appId}:j:${r.id}`, context: r.context, status: r.status === 'running' ? 1 : r.status === 'interrupted' ? -1 : 0 };
}

async function run(ref: EngineRef, entity: string, conditions: Array<{ field: string; op: string; value: unknown }>, page: Page = {}) {
  validateId('entity', entity);
  const checked: EntityCondition[] = conditions.map((c) => {
    if (!OPS.includes(c.op as EntityOp)) throw new ValidationError('condition operator', `must be one of ${[...OPS].join(', ')}`);
    // the field is written into the SQL text (so an index on it can be used): only this shape
    if (typeof c.field !== 'string' || !FIELD_NAME.test(c.field)) throw new ValidationError('condition field', `must match ${FIELD_NAME}`);
    if (c.op === 'IN' && !Array.isArray(c.value)) throw new ValidationError('condition value', "must be an array for 'IN'");
    return { field: c.field, op: c.op as EntityOp, json: encodeJson('condition value', c.value) };
  });
  for (const [name, n] of [['limit', page.limit], ['offset', page.offset]] as const) {
    if (n !== undefined && (!Number.isInteger(n) || n < 0)) throw new ValidationError(name, 'must be a non-negative integer');
  }
  const { sql, params } = findEntitiesQuery(ref.engine.sqlSchema, entity, checked, page.limit ?? 1000, page.offset ?? 0);
  const res = await ref.engine.driver.query<{ id: string; context: unknown; status: string }>(sql, params);
  return res.rows.map((r) => toRow(ref.engine, r));
}

export class Entity extends Context {
  /**
   * Jobs of `entity` whose top-level context fields match: `{ age: 30 }`, `{ age: { $gt: 20 } }`, or
   * several operators on one field, all of which must hold (`{ age: { $gt: 20, $lt: 40 } }`). An
   * object whose keys start with `$` is operators (an unknown one is refused); any other value is
   * compared whole.
   */
  static async find(entity: string, conditions: Record<string, unknown>, hotMesh: EngineRef, page?: Page): Promise<EntityRow[]> {
    const list = Object.entries(conditions ?? {}).flatMap(([field, value]) => {
      if (value && typeof value === 'object' && !Array.isArray(value)) {
        const ops = Object.entries(value);
        if (ops.some(([key]) => key.startsWith('$'))) {
          return ops.map(([mongo, operand]) => {
            const op = Object.hasOwn(MONGO, mongo) ? MONGO[mongo] : undefined;
            if (!op) throw new ValidationError('condition operator', `'${mongo}' on '${field}' must be one of ${Object.keys(MONGO).join(', ')}`);
            return { field, op, value: operand };
          });
        }
      }
      return [{ field, op: '=' as EntityOp, value }];
    });
    return run(hotMesh, entity, list, page);
  }

  static async findById(entity: string, id: string, hotMesh: EngineRef): Promise<EntityRow | null> {
    validateId('entity', entity);
    validateId('id', id);
    const res = await hotMesh.engine.query(entities.findEntityById, { entity, jobId: id });
    return res.rows[0] ? toRow(hotMesh.engine, res.rows[0]) : null;
  }

  static findByCondition(entity: string, field: string, value: unknown, op = '=', hotMesh: EngineRef, page?: Page): Promise<EntityRow[]> {
    return run(hotMesh, entity, [{ field, op, value }], page);
  }

  /** A partial index on one context field for one entity (idempotent). */
  static async createIndex(entity: string, field: string, hotMesh: EngineRef, type: 'gin' | 'btree' = 'gin'): Promise<string> {
    if (!FIELD_NAME.test(entity)) throw new ValidationError('entity', 'must match /^[A-Za-z0-9_]{1,63}$/ to be indexed');
    if (!FIELD_NAME.test(field)) throw new ValidationError('field', 'must match /^[A-Za-z0-9_]{1,63}$/ to be indexed');
    if (type !== 'gin' && type !== 'btree') throw new ValidationError('index type', "must be 'gin' or 'btree'");
    const name = `idx_${entity}_${field}`.toLowerCase().slice(0, 63);
    await hotMesh.engine.query(entities.createEntityIndex, { name, entity, field, kind: type });
    return name;
  }
}
