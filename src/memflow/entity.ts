/**
 * `MemFlow.Entity` (README-era name `MemFlow.Context`): the context class, plus upstream's static
 * queries over the jobs of one entity (`start({ entity })`). Rows are `{ key, context, status }`,
 * newest first; `key` is upstream's `hmsh:<namespace>:j:<id>`.
 */
import { Context } from '../context/context-handle.js';
import type { Engine } from '../engine/engine.js';
import { ValidationError } from '../errors.js';
import * as entities from '../sql/queries/entities.js';
import { quoteIdentifier } from '../storage/sql-identifier.js';
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

const OPS: readonly string[] = ['=', '!=', '>', '<', '>=', '<=', 'LIKE', 'IN'];
const MONGO: Record<string, string> = { $eq: '=', $ne: '!=', $gt: '>', $gte: '>=', $lt: '<', $lte: '<=', $in: 'IN' };
const FIELD = /^[A-Za-z0-9_]{1,63}$/;

function toRow(engine: Engine, r: { id: string; context: unknown; status: string }): EntityRow {
  return { key: `hmsh:${engine.appId}:j:${r.id}`, context: r.context, status: r.status === 'running' ? 1 : r.status === 'interrupted' ? -1 : 0 };
}

async function run(ref: EngineRef, entity: string, conditions: Array<{ field: string; op: string; value: unknown }>, page: Page = {}) {
  validateId('entity', entity);
  for (const c of conditions) {
    if (!OPS.includes(c.op)) throw new ValidationError('condition operator', `must be one of ${[...OPS].join(', ')}`);
    if (typeof c.field !== 'string' || c.field === '') throw new ValidationError('condition field', 'must be a non-empty string');
    if (c.op === 'IN' && !Array.isArray(c.value)) throw new ValidationError('condition value', "must be an array for 'IN'");
  }
  for (const [name, n] of [['limit', page.limit], ['offset', page.offset]] as const) {
    if (n !== undefined && (!Number.isInteger(n) || n < 0)) throw new ValidationError(name, 'must be a non-negative integer');
  }
  const res = await ref.engine.query(entities.findEntities, {
    entity,
    conditions: JSON.stringify(conditions),
    limit: page.limit ?? 1000,
    offset: page.offset ?? 0,
  });
  return res.rows.map((r) => toRow(ref.engine, r));
}

export class Entity extends Context {
  /** Jobs of `entity` whose top-level context fields match: `{ age: 30 }` or `{ age: { $gt: 20 } }`. */
  static find(entity: string, conditions: Record<string, unknown>, hotMesh: EngineRef, page?: Page): Promise<EntityRow[]> {
    const list = Object.entries(conditions ?? {}).map(([field, value]) => {
      if (value && typeof value === 'object' && !Array.isArray(value)) {
        const [mongo, operand] = Object.entries(value)[0] ?? [];
        if (mongo && MONGO[mongo]) return { field, op: MONGO[mongo]!, value: operand };
      }
      return { field, op: '=', value };
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
    if (!FIELD.test(entity)) throw new ValidationError('entity', 'must match /^[A-Za-z0-9_]{1,63}$/ to be indexed');
    if (!FIELD.test(field)) throw new ValidationError('field', 'must match /^[A-Za-z0-9_]{1,63}$/ to be indexed');
    const name = `idx_${entity}_${field}`.toLowerCase().slice(0, 63);
    const table = `${hotMesh.engine.sqlSchema}.jobs`;
    // entity and field matched FIELD above (letters, digits, _), so as string literals they are inert
    const expression = type === 'gin' ? `USING gin ((context -> '${field}'))` : `((context ->> '${field}'))`;
    await hotMesh.engine.driver.query(
      `CREATE INDEX IF NOT EXISTS ${quoteIdentifier(name)} ON ${table} ${expression} WHERE entity = '${entity}'`,
    );
    return name;
  }
}
