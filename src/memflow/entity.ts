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
import { validateId, validateNonNegativeInteger } from '../validation.js';
import { semaphore } from './handle.js';

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
  return { key: `hmsh:${engine.appId}:j:${r.id}`, context: r.context, status: semaphore(r.status) };
}

/** The engine handle the statics take (`client.getHotMeshClient(...)`, `MemFlow.workflow.getHotMesh()`). */
export function engineOf(ref: unknown): Engine {
  const engine = (ref as EngineRef | null | undefined)?.engine;
  if (!engine || typeof engine !== 'object') {
    throw new ValidationError('hotMesh', 'must be the engine handle from client.getHotMeshClient(taskQueue, namespace) or MemFlow.workflow.getHotMesh()');
  }
  return engine;
}

/** A context field or an entity written into an index's SQL: a string of this shape only. */
function checkIndexed(field: string, value: unknown): void {
  if (typeof value !== 'string' || !FIELD_NAME.test(value)) {
    throw new ValidationError(field, `must be a string matching ${FIELD_NAME} to be indexed (got ${typeof value === 'string' ? `'${value}'` : typeof value})`);
  }
}

async function run(ref: EngineRef, entity: string, conditions: Array<{ field: string; op: string; value: unknown }>, page: Page = {}) {
  validateId('entity', entity);
  const engine = engineOf(ref);
  const checked: EntityCondition[] = conditions.map((c) => {
    if (!OPS.includes(c.op as EntityOp)) throw new ValidationError('condition operator', `must be one of ${[...OPS].join(', ')}`);
    // the field is written into the SQL text (so an index on it can be used): only this shape
    if (typeof c.field !== 'string' || !FIELD_NAME.test(c.field)) throw new ValidationError('condition field', `must match ${FIELD_NAME}`);
    if (c.op === 'IN' && !Array.isArray(c.value)) throw new ValidationError('condition value', "must be an array for 'IN'");
    return { field: c.field, op: c.op as EntityOp, json: encodeJson('condition value', c.value) };
  });
  if (page !== undefined && page !== null && (typeof page !== 'object' || Array.isArray(page))) throw new ValidationError('page', 'must be { limit?, offset? }');
  const limit = validateNonNegativeInteger('limit', page?.limit) ?? 1000;
  const offset = validateNonNegativeInteger('offset', page?.offset) ?? 0;
  const { sql, params } = findEntitiesQuery(engine.sqlSchema, entity, checked, limit, offset);
  const res = await engine.driver.query<{ id: string; context: unknown; status: string }>(sql, params);
  return res.rows.map((r) => toRow(engine, r));
}

export class Entity extends Context {
  /**
   * Jobs of `entity` whose top-level context fields match: `{ age: 30 }`, `{ age: { $gt: 20 } }`, or
   * several operators on one field, all of which must hold (`{ age: { $gt: 20, $lt: 40 } }`). An
   * object whose keys start with `$` is operators (an unknown one is refused); any other value is
   * compared whole.
   */
  static async find(entity: string, conditions: Record<string, unknown>, hotMesh: EngineRef, page?: Page): Promise<EntityRow[]> {
    if (conditions !== undefined && conditions !== null && (typeof conditions !== 'object' || Array.isArray(conditions))) {
      throw new ValidationError('conditions', 'must be an object of field: value or field: { $op: value }');
    }
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
    const engine = engineOf(hotMesh);
    const res = await engine.query(entities.findEntityById, { entity, jobId: id });
    return res.rows[0] ? toRow(engine, res.rows[0]) : null;
  }

  static findByCondition(entity: string, field: string, value: unknown, op = '=', hotMesh: EngineRef, page?: Page): Promise<EntityRow[]> {
    return run(hotMesh, entity, [{ field, op, value }], page);
  }

  /** A partial index on one context field for one entity (idempotent). */
  static async createIndex(entity: string, field: string, hotMesh: EngineRef, type: 'gin' | 'btree' = 'gin'): Promise<string> {
    // RegExp.test coerces: null, 42 and ['a'] passed it and made indexes idx_user_null, idx_user_42
    checkIndexed('entity', entity);
    checkIndexed('field', field);
    if (type !== 'gin' && type !== 'btree') throw new ValidationError('index type', "must be 'gin' or 'btree'");
    const engine = engineOf(hotMesh);
    const name = `idx_${entity}_${field}`.toLowerCase().slice(0, 63);
    await engine.query(entities.createEntityIndex, { name, entity, field, kind: type });
    return name;
  }
}
