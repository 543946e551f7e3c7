/**
 * What a search field and its value may be, and how a field is stored (`fred` as `_fred`, a key in
 * double quotes ('"raw"') as is): the one rule for start, hooks, search(), enrich() and the list
 * filter, checked before any SQL.
 */
import { ValidationError } from './errors.js';
import { encodeJson } from './json-value.js';

const CONTROL = /[\u0000-\u001f\u007f]/;

export function fieldName(key: unknown): string {
  if (typeof key !== 'string' || key === '' || key.length > 255 || CONTROL.test(key)) {
    throw new ValidationError('search field', 'must be a non-empty string of at most 255 characters without control characters');
  }
  return key.length > 2 && key.startsWith('"') && key.endsWith('"') ? key.slice(1, -1) : `_${key}`;
}

export function fieldValue(value: unknown): string {
  if (value === null || value === undefined) throw new ValidationError('search value', 'must not be null or undefined');
  return String(value);
}

/**
 * The most UTF-8 bytes of a stored field and its value together. (field, value) is a btree key, and a
 * btree entry holds 2,704 bytes: this much always fits, whatever the text (PostgreSQL compresses a
 * longer entry, so a repetitive one may fit too, but a random one of 2,880 bytes does not).
 */
export const SEARCH_ENTRY_MAX_BYTES = 2600;

/**
 * Stored fields (toStoredFields' output), each checked against SEARCH_ENTRY_MAX_BYTES: a
 * ValidationError before any SQL, where the database's answer was "index row size exceeds" (54000).
 * Checked where a call is executed, never as a workflow replays it (a value a job stored before this
 * check stays replayable).
 */
export function checkIndexable(fields: Record<string, string>): Record<string, string> {
  for (const [field, value] of Object.entries(fields)) {
    if (value.length + field.length <= SEARCH_ENTRY_MAX_BYTES / 3) continue; // 3 bytes a UTF-16 unit at most
    const bytes = Buffer.byteLength(field, 'utf8') + Buffer.byteLength(value, 'utf8');
    if (bytes > SEARCH_ENTRY_MAX_BYTES) {
      throw new ValidationError('search value', `a field and its value must take at most ${SEARCH_ENTRY_MAX_BYTES} bytes in UTF-8 together (search fields are indexed); '${field.slice(0, 64)}' takes ${bytes}`);
    }
  }
  return fields;
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
