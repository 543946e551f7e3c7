/**
 * What a search field and its value may be, and how a field is stored (`fred` as `_fred`, a key in
 * double quotes ('"raw"') as is): the one rule for start, hooks, search(), enrich() and the list
 * filter, checked before any SQL.
 */
import { ValidationError } from '../errors.js';
import { encodeJson } from '../json-value.js';

const CONTROL = /[\u0000-\u001f\u007f]/;

export function fieldName(key: unknown): string {
  if (typeof key !== 'string' || key === '' || key.length > 255 || CONTROL.test(key)) {
    throw new ValidationError('search field', 'must be a non-empty string of at most 255 characters without control characters');
  }
  return key.length > 2 && key.startsWith('"') && key.endsWith('"') ? key.slice(1, -1) : `_${key}`;
}

/**
 * A value's cap in UTF-8 bytes: (field, value) is indexed, and a btree entry holds at most 2,704
 * bytes; with the longest field (255 characters of up to 4 bytes) this one still fits.
 */
export const SEARCH_VALUE_MAX_BYTES = 1600;

export function fieldValue(value: unknown): string {
  if (value === null || value === undefined) throw new ValidationError('search value', 'must not be null or undefined');
  const text = String(value);
  if (text.length > SEARCH_VALUE_MAX_BYTES / 4 && Buffer.byteLength(text, 'utf8') > SEARCH_VALUE_MAX_BYTES) {
    throw new ValidationError('search value', `must be at most ${SEARCH_VALUE_MAX_BYTES} bytes in UTF-8 (search fields are indexed); got ${Buffer.byteLength(text, 'utf8')}`);
  }
  return text;
}

/**
 * `search: { data: { field: value } }` of a start or an outside hook, as stored (`{ fred: 'x' }` →
 * `{ _fred: 'x' }`); validated before any SQL. Undefined when there is none.
 */
export function searchData(search: unknown): Record<string, string> | undefined {
  if (search === undefined || search === null) return undefined;
  if (typeof search !== 'object' || Array.isArray(search)) throw new ValidationError('search', 'must be an object: { data: { field: value } }');
  const data = (search as { data?: unknown }).data;
  if (data === undefined || data === null) return undefined;
  if (typeof data !== 'object' || Array.isArray(data)) throw new ValidationError('search.data', 'must be an object of field: value');
  const fields = toStoredFields(data as Record<string, unknown>);
  encodeJson('search', fields); // NUL, lone surrogates: refused here, not by the database
  return fields;
}

/** Fields as stored: `{ fred: 'flintstone' }` → `{ _fred: 'flintstone' }`. */
export function toStoredFields(fields: Record<string, unknown>): Record<string, string> {
  // fromEntries defines own properties, so a raw '"__proto__"' field stays a field
  return Object.fromEntries(Object.entries(fields).map(([k, v]) => [fieldName(k), fieldValue(v)]));
}
