/**
 * An in-memory model of the context ops, written from their documented semantics (src/context/*.ts
 * doc comments and migration 0002's header comments), independent of the SQL. Used by
 * test/context-model.test.ts to check the database against it, op by op.
 *
 * Representation: JSON values, with objects as null-prototype records (so no key, not even
 * `toString` or `__proto__`, can reach Object.prototype). Every value written is deep-copied in.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** The two error kinds an op can be refused with (the error classes' `kind`). */
export type ErrorKind = 'ValidationError' | 'ContextTypeError';

export class ModelError extends Error {
  constructor(
    readonly kind: ErrorKind,
    why: string,
  ) {
    super(`${kind}: ${why}`);
  }
}

const MISSING = Symbol('missing');
type Slot = Json | typeof MISSING;

const RESERVED = new Set(['__proto__', 'constructor', 'prototype']);
const CONTROL = /[\u0000-\u001f\u007f]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
/** What indexes an array: a canonical non-negative integer (the SQL accepts up to 9 digits). */
const INDEX = /^(0|[1-9][0-9]{0,8})$/;

const hasOwn = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

export function isObject(v: unknown): v is { [key: string]: Json } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

// ---------------------------------------------------------------------------------------------
// Validation (before any SQL): paths and values
// ---------------------------------------------------------------------------------------------

/** Dotted path → segments. '' is the root. */
export function parsePath(path: unknown): string[] {
  if (typeof path !== 'string') throw new ModelError('ValidationError', 'path not a string');
  if (path === '') return [];
  const segments = path.split('.');
  if (segments.length > 32) throw new ModelError('ValidationError', 'more than 32 segments');
  for (const s of segments) {
    if (s === '') throw new ModelError('ValidationError', 'empty segment');
    if (RESERVED.has(s)) throw new ModelError('ValidationError', `reserved segment ${s}`);
    if (s.length > 256) throw new ModelError('ValidationError', 'segment over 256 characters');
    if (CONTROL.test(s)) throw new ModelError('ValidationError', 'control character in segment');
  }
  return segments;
}

/** The path of an op acting on a value inside the document: '' (the document itself) is refused. */
export function parseInnerPath(path: unknown): string[] {
  const segments = parsePath(path);
  if (segments.length === 0) throw new ModelError('ValidationError', "'' names the whole document");
  return segments;
}

function checkString(s: string): void {
  if (s.includes('\u0000')) throw new ModelError('ValidationError', 'NUL in a string');
  if (LONE_SURROGATE.test(s)) throw new ModelError('ValidationError', 'lone surrogate in a string');
}

/** Validate a JS value about to be written and copy it into the model's representation. */
export function importValue(v: unknown, depth = 0): Json {
  if (depth > 64) throw new ModelError('ValidationError', 'nested over 64 levels');
  if (v === undefined) throw new ModelError('ValidationError', 'undefined');
  if (v === null || typeof v === 'boolean') return v;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new ModelError('ValidationError', 'non-finite number');
    return v === 0 ? 0 : v; // JSON has no -0
  }
  if (typeof v === 'string') {
    checkString(v);
    return v;
  }
  if (Array.isArray(v)) return v.map((x) => importValue(x, depth + 1));
  if (typeof v === 'object') {
    const out: { [key: string]: Json } = Object.create(null);
    for (const [k, x] of Object.entries(v)) {
      if (RESERVED.has(k)) throw new ModelError('ValidationError', `reserved key ${k}`);
      checkString(k);
      if (x === undefined) continue; // JSON.stringify drops it
      out[k] = importValue(x, depth + 1);
    }
    return out;
  }
  throw new ModelError('ValidationError', `not JSON: ${typeof v}`);
}

export function clone(v: Json): Json {
  if (Array.isArray(v)) return v.map(clone);
  if (isObject(v)) {
    const out: { [key: string]: Json } = Object.create(null);
    for (const k of Object.keys(v)) out[k] = clone(v[k]!);
    return out;
  }
  return v;
}

/** Canonical JSON text: object keys sorted, so two documents compare equal regardless of key order. */
export function canon(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (Array.isArray(v)) return `[${v.map(canon).join(',')}]`;
  if (typeof v === 'object' && v !== null) {
    const keys = Object.keys(v).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canon((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  if (typeof v === 'number' && !Number.isFinite(v)) return `<${v}>`;
  return JSON.stringify(v);
}

// ---------------------------------------------------------------------------------------------
// Path primitives
// ---------------------------------------------------------------------------------------------

function child(node: Slot, seg: string): Slot {
  if (node === MISSING) return MISSING;
  if (Array.isArray(node)) {
    if (!INDEX.test(seg)) return MISSING;
    const i = Number(seg);
    return i < node.length ? node[i]! : MISSING;
  }
  if (isObject(node)) return hasOwn(node, seg) ? node[seg]! : MISSING;
  return MISSING;
}

function lookup(doc: Json, path: string[]): Slot {
  let node: Slot = doc;
  for (const seg of path) node = child(node, seg);
  return node;
}

function kindOf(v: Slot): string {
  if (v === MISSING) return 'missing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (isObject(v)) return 'object';
  return typeof v;
}

/** Write `value` at `path`, creating missing (or null) parents as objects; index == length appends. */
function setPath(target: Slot, path: string[], value: Json): Json {
  if (path.length === 0) return value;
  const [head, ...rest] = path as [string, ...string[]];
  if (target === MISSING || target === null) target = Object.create(null) as { [key: string]: Json };
  if (Array.isArray(target)) {
    if (!INDEX.test(head)) throw new ModelError('ContextTypeError', 'non-numeric index into an array');
    const i = Number(head);
    if (i > target.length) throw new ModelError('ContextTypeError', 'array index out of range');
    const out = target.slice();
    out[i] = setPath(i < target.length ? target[i]! : MISSING, rest, value);
    return out;
  }
  if (isObject(target)) {
    const out: { [key: string]: Json } = Object.create(null);
    for (const k of Object.keys(target)) out[k] = target[k]!;
    out[head] = setPath(hasOwn(target, head) ? target[head]! : MISSING, rest, value);
    return out;
  }
  throw new ModelError('ContextTypeError', 'cannot create a path inside a scalar');
}

/**
 * Remove the value at a (non-empty) path; a path that is not there (a missing or null parent, an index
 * past the end) leaves the document as it is; a path through a scalar is a type clash (migration 0057).
 */
function deletePath(target: Json, path: string[]): Json {
  const [head, ...rest] = path as [string, ...string[]];
  if (Array.isArray(target)) {
    if (!INDEX.test(head)) return target;
    const i = Number(head);
    if (i >= target.length) return target;
    const out = target.slice();
    if (rest.length === 0) out.splice(i, 1);
    else out[i] = deletePath(target[i]!, rest);
    return out;
  }
  if (isObject(target)) {
    if (!hasOwn(target, head)) return target;
    const out: { [key: string]: Json } = Object.create(null);
    for (const k of Object.keys(target)) if (!(rest.length === 0 && k === head)) out[k] = target[k]!;
    if (rest.length > 0) out[head] = deletePath(target[head]!, rest);
    return out;
  }
  if (target === null) return target;
  throw new ModelError('ContextTypeError', `path through a ${typeof target}`);
}

/** Deep merge: objects merge key by key, recursively; anything else (arrays included) is replaced. */
function deepMerge(a: Slot, b: Json): Json {
  if (!isObject(a) || !isObject(b)) return clone(b);
  const out: { [key: string]: Json } = Object.create(null);
  for (const k of Object.keys(a)) out[k] = a[k]!;
  for (const k of Object.keys(b)) out[k] = deepMerge(hasOwn(a, k) ? a[k]! : MISSING, b[k]!);
  return out;
}

// ---------------------------------------------------------------------------------------------
// The ops
// ---------------------------------------------------------------------------------------------

export type ModelOp =
  | { op: 'get'; path?: string }
  | { op: 'set'; path?: string; value: unknown }
  | { op: 'merge'; path?: string; value: unknown }
  | { op: 'delete'; path: string }
  | { op: 'append' | 'prepend' | 'setIfNotExists'; path: string; value: unknown }
  | { op: 'remove'; path: string; index: unknown }
  | { op: 'increment'; path: string; by: unknown }
  | { op: 'toggle'; path: string };

/** What the context log records for one applied op (the history entry, less version/time). */
export interface LoggedOp {
  op: string;
  path: string[];
  arg: Json;
}

export interface Applied {
  result: Json;
  doc: Json;
  logged: LoggedOp | null; // null for get
}

/**
 * Apply one op to `doc` (never mutated). Returns the op's answer, the new document and what the log
 * records, or throws a ModelError.
 */
export function applyOp(doc: Json, o: ModelOp): Applied {
  const at = (d: Json, path: string[]): Json => {
    const v = lookup(d, path);
    return v === MISSING ? null : clone(v);
  };
  switch (o.op) {
    case 'get': {
      const path = parsePath(o.path ?? '');
      return { result: at(doc, path), doc, logged: null };
    }
    case 'set': {
      const path = o.path === undefined ? [] : parsePath(o.path);
      const value = importValue(o.value);
      const next = setPath(doc, path, value);
      return { result: clone(next), doc: next, logged: { op: 'set', path, arg: clone(value) } };
    }
    case 'merge': {
      const path = o.path === undefined ? [] : parsePath(o.path);
      if (!isObject(o.value)) throw new ModelError('ValidationError', 'merge value must be an object');
      const value = importValue(o.value);
      const cur = lookup(doc, path);
      if (!['object', 'null', 'missing'].includes(kindOf(cur))) throw new ModelError('ContextTypeError', `merge into ${kindOf(cur)}`);
      const next = setPath(doc, path, deepMerge(cur, value));
      return { result: clone(next), doc: next, logged: { op: 'merge', path, arg: clone(value) } };
    }
    case 'delete': {
      const path = parseInnerPath(o.path);
      const next = deletePath(doc, path);
      return { result: clone(next), doc: next, logged: { op: 'delete', path, arg: null } };
    }
    case 'append':
    case 'prepend': {
      const path = parseInnerPath(o.path);
      const value = importValue(o.value);
      const cur = lookup(doc, path);
      if (!['array', 'null', 'missing'].includes(kindOf(cur))) throw new ModelError('ContextTypeError', `${o.op} to ${kindOf(cur)}`);
      const arr = Array.isArray(cur) ? cur : [];
      const next = setPath(doc, path, o.op === 'append' ? [...arr, value] : [value, ...arr]);
      return { result: at(next, path), doc: next, logged: { op: o.op, path, arg: clone(value) } };
    }
    case 'remove': {
      const path = parseInnerPath(o.path);
      const index = o.index;
      if (typeof index !== 'number' || !Number.isInteger(index) || index < 0) throw new ModelError('ValidationError', 'remove index');
      const cur = lookup(doc, path);
      if (!['array', 'null', 'missing'].includes(kindOf(cur))) throw new ModelError('ContextTypeError', `remove from ${kindOf(cur)}`);
      const arr = Array.isArray(cur) ? cur : [];
      const next = setPath(doc, path, arr.filter((_, i) => i !== index));
      return { result: at(next, path), doc: next, logged: { op: 'remove', path, arg: index } };
    }
    case 'increment': {
      const path = parseInnerPath(o.path);
      const by = o.by ?? 1;
      if (typeof by !== 'number' || !Number.isFinite(by)) throw new ModelError('ValidationError', 'increment value');
      const cur = lookup(doc, path);
      if (!['number', 'null', 'missing'].includes(kindOf(cur))) throw new ModelError('ContextTypeError', `increment a ${kindOf(cur)}`);
      const sum = (typeof cur === 'number' ? cur : 0) + by;
      if (!Number.isFinite(sum)) throw new ModelError('ContextTypeError', 'number whose sum is beyond the range of a double');
      const next = setPath(doc, path, sum === 0 ? 0 : sum);
      return { result: at(next, path), doc: next, logged: { op: 'increment', path, arg: by === 0 ? 0 : by } };
    }
    case 'toggle': {
      const path = parseInnerPath(o.path);
      const cur = lookup(doc, path);
      if (!['boolean', 'null', 'missing'].includes(kindOf(cur))) throw new ModelError('ContextTypeError', `toggle a ${kindOf(cur)}`);
      const next = setPath(doc, path, !(cur === true));
      return { result: at(next, path), doc: next, logged: { op: 'toggle', path, arg: null } };
    }
    case 'setIfNotExists': {
      const path = parseInnerPath(o.path);
      const value = importValue(o.value);
      const cur = lookup(doc, path);
      const next = cur === MISSING ? setPath(doc, path, value) : doc;
      return { result: at(next, path), doc: next, logged: { op: 'setIfNotExists', path, arg: clone(value) } };
    }
  }
}

export function emptyDocument(): Json {
  return Object.create(null) as Json;
}
