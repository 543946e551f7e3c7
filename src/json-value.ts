/**
 * Everything the engine stores (args, results, signal data, context values) is JSON, bound as a
 * `$n::jsonb` parameter. This module refuses what JSON or jsonb would silently mangle or reject:
 * functions, symbols, BigInt, Map/Set, cycles, non-finite numbers, NUL characters and lone surrogates
 * (jsonb rejects both; `JSON.stringify` happily produces them), and oversized payloads.
 */
import { PayloadTooLargeError, ValidationError } from './errors.js';

/**
 * How deep a stored value may nest. Far deeper, the check below overflowed the stack: a black-box pass
 * sent 10,000 levels and got a RangeError, not a ValidationError (at about 5,000 it overflowed; 3,000
 * passed). PostgreSQL and PGlite store 5,000. The bound leaves the check room on a deep call stack.
 */
export const MAX_JSON_DEPTH = 2_000;

/** Default cap for one payload (args, a result, a signal, one context value): 2 MiB. */
export const MAX_PAYLOAD_BYTES = 2 * 1024 * 1024;

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
/**
 * The same two things as they appear in `JSON.stringify` output, which escapes both (`\u0000`,
 * `\ud800`) instead of emitting them raw. After an escaped backslash (`\\u0000`) it is plain text.
 */
const ESCAPED_NUL = /(?<!\\)(?:\\\\)*\\u0000/;
const ESCAPED_LONE_SURROGATE = /(?<!\\)(?:\\\\)*\\ud[89a-f][0-9a-f]{2}/i;

function checkString(field: string, s: string): void {
  if (s.includes('\u0000')) throw new ValidationError(field, 'must not contain NUL (\\u0000) characters');
  if (LONE_SURROGATE.test(s)) throw new ValidationError(field, 'must be valid Unicode (no lone surrogates)');
}

/**
 * Where a value sits in what is being checked: its parent's place and its own key (an array index or
 * a property name). Spelled out (`args[0].items[2]`) only for an error: a check that passes builds
 * no strings.
 */
interface Place {
  parent: Place | undefined;
  key: string | number;
}

function spell(field: string, place: Place | undefined): string {
  const keys: Array<string | number> = [];
  for (let p = place; p; p = p.parent) keys.push(p.key);
  let path = field;
  for (let i = keys.length - 1; i >= 0; i--) path += typeof keys[i] === 'number' ? `[${keys[i]}]` : `.${keys[i]}`;
  return path;
}

/** `seen`: the objects on the way to `value` (made at the first object: a lone primitive needs none). */
function checkValue(field: string, value: unknown, seen: Set<object> | undefined, place: Place | undefined, depth = 0): void {
  switch (typeof value) {
    case 'string':
      checkString(field, value);
      return;
    case 'number':
      if (!Number.isFinite(value)) throw new ValidationError(field, `must be JSON-serialisable: ${spell(field, place)} is ${value}`);
      return;
    case 'boolean':
    case 'undefined':
      return;
    case 'function':
    case 'symbol':
    case 'bigint':
      throw new ValidationError(field, `must be JSON-serialisable: ${spell(field, place)} is a ${typeof value}`);
    case 'object': {
      if (value === null) return;
      // toJSON() of an Invalid Date is null: the value would be stored changed
      if (value instanceof Date && Number.isNaN(value.getTime())) throw new ValidationError(field, `must be JSON-serialisable: ${spell(field, place)} is an Invalid Date`);
      if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return; // Date and friends
      if (depth >= MAX_JSON_DEPTH) throw new ValidationError(field, `must nest at most ${MAX_JSON_DEPTH} levels deep`);
      if (value instanceof Map || value instanceof Set || ArrayBuffer.isView(value)) {
        throw new ValidationError(field, `must be JSON-serialisable: ${spell(field, place)} is a ${value.constructor.name}`);
      }
      seen ??= new Set();
      if (seen.has(value)) throw new ValidationError(field, `must be JSON-serialisable: ${spell(field, place)} is circular`);
      seen.add(value);
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) checkValue(field, value[i], seen, { parent: place, key: i }, depth + 1);
      } else {
        for (const k in value) {
          if (!Object.prototype.hasOwnProperty.call(value, k)) continue;
          checkString(field, k);
          checkValue(field, (value as Record<string, unknown>)[k], seen, { parent: place, key: k }, depth + 1);
        }
      }
      seen.delete(value);
      return;
    }
  }
}

/**
 * Validate and encode a value for a `$n::jsonb` parameter. `undefined` encodes as SQL NULL so a void
 * result can be told apart from a JSON `null`.
 */
export function encodeJson(field: string, value: unknown, limit = MAX_PAYLOAD_BYTES): string | null {
  checkValue(field, value, undefined, undefined);
  if (value === undefined) return null;
  const text = JSON.stringify(value);
  if (text === undefined) return null;
  // toJSON() results are checked here. Fix: this used to be `checkString(field, text)`, which could
  // never fire because JSON.stringify escapes NUL and lone surrogates; jsonb then refused the
  // escapes with an untyped database error, after SQL had run.
  if (text.includes('\\u') && ESCAPED_NUL.test(text)) throw new ValidationError(field, 'must not contain NUL (\\u0000) characters');
  if (text.includes('\\u') && ESCAPED_LONE_SURROGATE.test(text)) throw new ValidationError(field, 'must be valid Unicode (no lone surrogates)');
  const bytes = Buffer.byteLength(text);
  if (bytes > limit) throw new PayloadTooLargeError(field, bytes, limit);
  return text;
}
