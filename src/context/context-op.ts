/**
 * The context ops, as one vocabulary for workflows, hooks and outside callers. `buildOp` turns a
 * public call into (op, path, JSON argument), validating everything before SQL; `contextError` maps
 * the SQL functions' error codes to typed errors.
 */
import { ContextTypeError, PayloadTooLargeError, ValidationError } from '../errors.js';
import { encodeJson } from '../json-value.js';
import { checkValueKeys, parseInnerPath, parsePath } from './context-path.js';

/** Cap on one context document (its jsonb size, pg_column_size): 1 MiB. */
export const CONTEXT_MAX_BYTES = 1024 * 1024;
/** Cap on one value written by an op: 512 KiB. */
export const CONTEXT_VALUE_MAX_BYTES = 512 * 1024;

export type ContextOpName =
  | 'get'
  | 'set'
  | 'merge'
  | 'delete'
  | 'append'
  | 'prepend'
  | 'remove'
  | 'increment'
  | 'toggle'
  | 'setIfNotExists';

export interface ContextOpRequest {
  op: ContextOpName;
  path: string[];
  /** The op's argument as JSON text, or null. */
  arg: string | null;
}

function value(op: string, v: unknown): string {
  if (v === undefined) throw new ValidationError(`${op} value`, 'must not be undefined');
  checkValueKeys(v, `${op} value`);
  return encodeJson(`${op} value`, v, CONTEXT_VALUE_MAX_BYTES)!;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function buildOp(op: ContextOpName, args: unknown[]): ContextOpRequest {
  switch (op) {
    case 'get':
      return { op, path: parsePath(args[0] ?? ''), arg: null };
    // Fix: the two-argument forms used to fall back to the one-argument form when the path was not a
    // string, so `set(123, v)` or `set(['a'], v)` silently replaced the whole document with the "path".
    case 'set':
      return args.length >= 2
        ? { op, path: parsePath(args[0]), arg: value(op, args[1]) }
        : { op, path: [], arg: value(op, args[0]) };
    case 'merge': {
      const [path, obj] = args.length >= 2 ? [parsePath(args[0]), args[1]] : [[], args[0]];
      if (!isPlainObject(obj)) throw new ValidationError('merge value', 'must be an object');
      return { op, path, arg: value(op, obj) };
    }
    case 'delete':
    case 'toggle':
      return { op, path: parseInnerPath(args[0]), arg: null };
    case 'append':
    case 'prepend':
    case 'setIfNotExists':
      return { op, path: parseInnerPath(args[0]), arg: value(op, args[1]) };
    case 'remove': {
      const index = args[1];
      if (typeof index !== 'number' || !Number.isInteger(index) || index < 0) {
        throw new ValidationError('remove index', 'must be a non-negative integer');
      }
      return { op, path: parseInnerPath(args[0]), arg: String(index) };
    }
    case 'increment': {
      const by = args[1] ?? 1;
      if (typeof by !== 'number' || !Number.isFinite(by)) throw new ValidationError('increment value', 'must be a finite number');
      return { op, path: parseInnerPath(args[0]), arg: String(by) };
    }
  }
}

/**
 * What a type clash met, as ContextTypeError's message reads it ("cannot apply to a <found>"): the
 * value's type, or the DETAIL the SQL gave. Two DETAILs of migration 0002 do not read as a thing
 * met, and made "cannot apply to a cannot create a path inside a scalar".
 */
function clashFound(detail: string | undefined, type: string | undefined): string {
  if (detail === 'cannot create a path inside a scalar') return `path through a ${type ?? 'scalar'}`;
  if (detail === 'array index out of range') return 'position past the end of an array';
  return detail ?? type ?? 'value';
}

/** Map an error from the context SQL functions to a typed error; anything else passes through. */
export function contextError(err: unknown, request: ContextOpRequest): unknown {
  const e = err as { code?: string; message?: string; detail?: string };
  if (e?.code === 'HM002') return new ContextTypeError(request.op, request.path.join('.'), clashFound(e.detail, e.message));
  if (e?.code === 'HM003') return new PayloadTooLargeError('context', Number(e.message) || 0, CONTEXT_MAX_BYTES);
  return err;
}

/**
 * HM005 from `context_at` or `fork_job`: the context at that point is no longer kept (the app's
 * contextLogRetention, migration 0049). A ValidationError naming `field`; anything else passes through.
 */
export function prunedContextError(err: unknown, field: string): unknown {
  const e = err as { code?: string; message?: string };
  return e?.code === 'HM005' ? new ValidationError(field, e.message ?? 'the context at that point is no longer kept') : err;
}

/** `get` answers null for a missing path (upstream); other ops answer what SQL returned. */
export function opResult(request: ContextOpRequest, value: unknown): unknown {
  return request.op === 'get' && value === undefined ? null : value;
}
