/**
 * Context paths: dotted strings ('user.name', 'items.0.price'). A numeric segment indexes an array.
 * '' is the whole document (get, set and merge only; see parseInnerPath).
 * Refused before any SQL: empty segments ('a..b', '.a', 'a.'), `__proto__`, `constructor`,
 * `prototype`, control characters, more than 32 segments or segments over 256 characters, and
 * anything that is not a string. Paths reach SQL only as a bound text[] parameter.
 */
import { ValidationError } from '../errors.js';
import { RESERVED_KEYS } from '../validation.js';

export const MAX_PATH_SEGMENTS = 32;
const MAX_SEGMENT_LENGTH = 256;
const CONTROL = /[\u0000-\u001f\u007f]/;
// jsonb would turn a lone surrogate into U+FFFD, so two different keys would name one entry
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export function parsePath(path: unknown, field = 'path'): string[] {
  if (typeof path !== 'string') throw new ValidationError(field, `must be a dotted string (got ${Array.isArray(path) ? 'array' : typeof path})`);
  if (path === '') return [];
  const segments = path.split('.');
  if (segments.length > MAX_PATH_SEGMENTS) throw new ValidationError(field, `must have at most ${MAX_PATH_SEGMENTS} segments`);
  for (const segment of segments) checkKey(segment, field);
  return segments;
}

/**
 * The path of an op that acts on a value inside the document (delete, append, prepend, remove,
 * increment, toggle, setIfNotExists): '' would name the document itself, which only get, set and
 * merge address. Refused as an invalid path, like 'a..b': toggle('') used to reach SQL and fail as
 * a type clash, and delete('') (a variable that happened to be empty) emptied the whole document.
 */
export function parseInnerPath(path: unknown, field = 'path'): string[] {
  const segments = parsePath(path, field);
  if (segments.length === 0) throw new ValidationError(field, "must name a value inside the document ('' is the whole document)");
  return segments;
}

/** A key inside a context path or inside an object written to the context. */
export function checkKey(key: string, field: string): void {
  if (key === '') throw new ValidationError(field, 'must not have empty segments');
  if (RESERVED_KEYS.includes(key)) throw new ValidationError(field, `must not use '${key}' as a key`);
  if (key.length > MAX_SEGMENT_LENGTH) throw new ValidationError(field, `segments must be at most ${MAX_SEGMENT_LENGTH} characters`);
  if (CONTROL.test(key)) throw new ValidationError(field, 'must not contain control characters');
  if (LONE_SURROGATE.test(key)) throw new ValidationError(field, 'must be valid Unicode (no lone surrogates)');
}

/** Refuse `__proto__` / `constructor` / `prototype` keys anywhere inside a value written to the context. */
export function checkValueKeys(value: unknown, field: string, depth = 0, within: object[] = []): void {
  if (value !== null && typeof value === 'object' && within.includes(value)) {
    throw new ValidationError(field, 'must not contain itself (a cyclic value has no JSON form)');
  }
  if (depth > 64) throw new ValidationError(field, 'must nest at most 64 levels deep');
  if (Array.isArray(value)) {
    within.push(value);
    for (const v of value) checkValueKeys(v, field, depth + 1, within);
    within.pop();
  } else if (value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON !== 'function') {
    within.push(value);
    for (const [k, v] of Object.entries(value)) {
      if (RESERVED_KEYS.includes(k)) throw new ValidationError(field, `must not contain the key '${k}'`);
      checkValueKeys(v, field, depth + 1, within);
    }
    within.pop();
  }
}
