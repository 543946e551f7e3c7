/**
 * Replaying logged context ops on a working copy of the document (migration 0028), so that replay
 * hands a thread exactly the value a context op returned on its first run: the same JSON, its object
 * keys in the same order (jsonb's: shorter keys first, then by their UTF-8 bytes, the order the
 * document came back in the first time). The rules are migration 0002's, op by op; an op only ever
 * places values that came from the log (an increment's exact sum included), so no arithmetic here
 * can differ from the database's. The copy is changed in place: an op costs what it changes.
 */

export type LoggedOp = 'set' | 'merge' | 'delete' | 'append' | 'prepend' | 'remove' | 'increment' | 'toggle' | 'setIfNotExists';

/** A canonical non-negative integer: the only array index the SQL accepts. */
const INDEX = /^(0|[1-9][0-9]{0,8})$/;
const hasOwn = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);
const utf8 = new TextEncoder();

type Obj = Record<string, unknown>;

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Set an own property, whatever its name (`__proto__` included), as JSON.parse does. */
function put(o: Obj, k: string, v: unknown): void {
  Object.defineProperty(o, k, { value: v, writable: true, enumerable: true, configurable: true });
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return a.length - b.length;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/** jsonb's order of object keys: by UTF-8 length, then bytewise. */
export function jsonbKeyOrder(a: string, b: string): number {
  return compareBytes(utf8.encode(a), utf8.encode(b));
}

/** A deep copy of a JSON value (strings are shared: they cannot change). */
export function cloneJson<T>(value: T): T {
  if (Array.isArray(value)) return value.map(cloneJson) as T;
  if (!isObject(value)) return value;
  const copy: Obj = {};
  for (const k of Object.keys(value)) put(copy, k, cloneJson(value[k]));
  return copy as T;
}

/** The child at `seg` as context_get_path reads it: undefined when it is not there. */
function child(at: unknown, seg: string): unknown {
  if (Array.isArray(at)) return INDEX.test(seg) && Number(seg) < at.length ? at[Number(seg)] : undefined;
  if (isObject(at)) return hasOwn(at, seg) ? at[seg] : undefined;
  return undefined;
}

/** The value at `path` (context_get_path): undefined when it is not there. */
export function readPath(doc: unknown, path: readonly string[]): unknown {
  let at = doc;
  for (const seg of path) {
    at = child(at, seg);
    if (at === undefined) return undefined;
  }
  return at;
}

/** Applies ops to one document, keeping its objects in jsonb key order. */
export class ContextReplica {
  private grown = new Set<Obj>();

  constructor(public doc: unknown) {}

  /** Apply one logged op (`arg`: its argument; for an increment, its logged result). */
  apply(op: LoggedOp, path: readonly string[], arg: unknown): void {
    const cur = readPath(this.doc, path);
    const absent = cur === undefined || cur === null;
    switch (op) {
      case 'set':
        this.setPath(path, arg);
        break;
      case 'merge':
        if (isObject(cur) && isObject(arg)) this.mergeInto(cur, arg);
        else this.setPath(path, arg);
        break;
      case 'delete':
        if (path.length === 0) this.doc = {};
        else this.deletePath(path);
        break;
      case 'append':
      case 'prepend': {
        const arr = absent ? [] : (cur as unknown[]);
        if (op === 'append') arr.push(arg);
        else arr.unshift(arg);
        if (absent) this.setPath(path, arr);
        break;
      }
      case 'remove': {
        const arr = absent ? [] : (cur as unknown[]);
        const index = Number(arg);
        if (index < arr.length) arr.splice(index, 1);
        if (absent) this.setPath(path, arr);
        break;
      }
      case 'increment':
        this.setPath(path, arg);
        break;
      case 'toggle':
        this.setPath(path, absent ? true : !cur);
        break;
      case 'setIfNotExists':
        if (cur === undefined) this.setPath(path, arg);
        break;
      default:
        throw new Error(`unknown context op '${String(op)}' in the log`);
    }
    this.reorder();
  }

  /** context_set_path: missing (or null) parents become objects, then the value goes at `path`. */
  private setPath(path: readonly string[], value: unknown): void {
    if (path.length === 0) {
      this.doc = value;
      return;
    }
    if (this.doc === null || this.doc === undefined) this.doc = {};
    let parent = this.doc;
    for (let i = 0; i < path.length; i++) {
      const seg = path[i]!;
      const last = i === path.length - 1;
      const next = child(parent, seg);
      if (last) this.putChild(parent, seg, value);
      else if (next === undefined || next === null) {
        const created = {};
        this.putChild(parent, seg, created);
        parent = created;
      } else parent = next;
    }
  }

  private putChild(parent: unknown, seg: string, value: unknown): void {
    if (Array.isArray(parent)) {
      parent[Number(seg)] = value; // a canonical index at most the length (the SQL refused others)
    } else if (isObject(parent)) {
      if (!hasOwn(parent, seg)) this.grown.add(parent);
      put(parent, seg, value);
    } else {
      throw new Error(`context replay: no container at ${seg}`);
    }
  }

  /** context_merge: objects merge key by key, anything else is replaced. */
  private mergeInto(target: Obj, source: Obj): void {
    for (const k of Object.keys(source)) {
      const a = hasOwn(target, k) ? target[k] : undefined;
      const b = source[k];
      if (isObject(a) && isObject(b)) this.mergeInto(a, b);
      else {
        if (!hasOwn(target, k)) this.grown.add(target);
        put(target, k, b);
      }
    }
  }

  /** context_delete_path: a path that is not there leaves the document as it is. */
  private deletePath(path: readonly string[]): void {
    const parent = readPath(this.doc, path.slice(0, -1));
    const key = path[path.length - 1]!;
    if (Array.isArray(parent)) {
      if (INDEX.test(key) && Number(key) < parent.length) parent.splice(Number(key), 1);
    } else if (isObject(parent) && hasOwn(parent, key)) {
      delete parent[key];
    }
  }

  /** Objects that gained keys take jsonb's key order again. */
  private reorder(): void {
    for (const obj of this.grown) {
      const keys = Object.keys(obj)
        .map((k) => ({ k, bytes: utf8.encode(k) }))
        .sort((a, b) => compareBytes(a.bytes, b.bytes))
        .map(({ k }) => k);
      const values = keys.map((k) => obj[k]);
      for (const k of keys) delete obj[k];
      keys.forEach((k, i) => put(obj, k, values[i]));
    }
    this.grown.clear();
  }
}
