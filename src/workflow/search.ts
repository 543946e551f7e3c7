/**
 * Searchable string fields on the job (upstream's `search()` / `enrich()`), shared with hooks, seeded
 * by `start({ search: { data } })` and queryable in SQL as `<schema>.jobs_attributes(job_id, field,
 * value)`. A key is stored as `_<key>`; a key wrapped in double quotes ('"raw"') is stored as is.
 * Each op is a durable call: applied and journaled in one statement.
 */
import { ValidationError } from '../errors.js';
import { reviveFailure } from '../failure-codec.js';
import type { CallInput } from '../replay/durable-call.js';
import { currentExecution } from './execution.js';
import { fieldName, toStoredFields } from '../search-rules.js';

async function op(kind: CallInput<'search'>['op'], arg: unknown): Promise<any> {
  const { run } = currentExecution(`search().${kind}`);
  const completion = await run.call({ kind: 'search', name: kind, input: { op: kind, arg } });
  if (!completion.ok) throw reviveFailure(completion.error, 'search');
  return completion.value;
}

function toNumber(n: unknown, field: string): number {
  if (typeof n !== 'number' || !Number.isFinite(n)) throw new ValidationError(field, 'must be a finite number');
  return n;
}

export class Search {
  /** `set({ k: v, ... })` or `set(k1, v1, k2, v2, ...)`. Returns the number of fields written. */
  async set(...args: unknown[]): Promise<number> {
    let fields: Record<string, unknown>;
    if (args.length === 1 && typeof args[0] === 'object' && args[0] !== null) fields = args[0] as Record<string, unknown>;
    else {
      if (args.length % 2 !== 0) throw new ValidationError('search set', 'takes an object or key/value pairs');
      fields = {};
      for (let i = 0; i < args.length; i += 2) fields[String(args[i])] = args[i + 1];
    }
    return op('set', toStoredFields(fields));
  }
  /** The field's value ('' when missing). */
  async get(key: string): Promise<string> {
    return op('get', [fieldName(key)]);
  }
  async mget(...keys: string[]): Promise<string[]> {
    return op('mget', keys.map(fieldName));
  }
  /** Delete fields. Returns the number deleted. */
  async del(...keys: string[]): Promise<number> {
    return op('del', keys.map(fieldName));
  }
  /** Add `n` (missing counts as 0). Returns the new number. */
  async incr(key: string, n: number): Promise<number> {
    return Number(await op('incr', [fieldName(key), toNumber(n, 'incr value')]));
  }
  /** Multiply by `n` (missing counts as 1). Returns the new number. */
  async mult(key: string, n: number): Promise<number> {
    return Number(await op('mult', [fieldName(key), toNumber(n, 'mult value')]));
  }
}

export async function search(): Promise<Search> {
  currentExecution('search');
  return new Search();
}

/** Same as `(await search()).set(fields)`; returns true. */
export async function enrich(fields: Record<string, unknown>): Promise<boolean> {
  await (await search()).set(fields);
  return true;
}
