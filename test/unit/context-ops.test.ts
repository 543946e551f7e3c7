/**
 * Context paths and ops before any SQL (src/context/context-path.ts, context-op.ts): the limits at
 * their exact boundaries, reserved keys anywhere in a written value, what each op sends to SQL, and
 * how the SQL functions' error codes come back as typed errors.
 */
import { describe, expect, it } from 'vitest';
import { buildOp, CONTEXT_MAX_BYTES, CONTEXT_VALUE_MAX_BYTES, contextError, type ContextOpRequest, opResult } from '../../src/context/context-op.js';
import { checkKey, checkValueKeys, MAX_PATH_SEGMENTS, parseInnerPath, parsePath } from '../../src/context/context-path.js';
import { ContextTypeError, PayloadTooLargeError, ValidationError } from '../../src/errors.js';

function refusal(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return err as ValidationError;
  }
  throw new Error('accepted');
}

/** `value` wrapped in `levels` arrays (or objects). */
function nested(levels: number, kind: 'array' | 'object', leaf: unknown = 1): unknown {
  let v = leaf;
  for (let i = 0; i < levels; i++) v = kind === 'array' ? [v] : { k: v };
  return v;
}

describe('context paths', () => {
  it('takes at most 32 segments', () => {
    expect(MAX_PATH_SEGMENTS).toBe(32);
    expect(parsePath(Array(32).fill('a').join('.'))).toHaveLength(32);
    expect(refusal(() => parsePath(Array(33).fill('a').join('.'))).rule).toBe('must have at most 32 segments');
  });

  it('takes segments of at most 256 characters', () => {
    expect(parsePath('x'.repeat(256))).toEqual(['x'.repeat(256)]);
    expect(refusal(() => parsePath('x'.repeat(257))).rule).toBe('segments must be at most 256 characters');
  });

  it('refuses a lone surrogate in a segment; a proper pair is fine', () => {
    expect(refusal(() => checkKey('a\ud800', 'path')).rule).toBe('must be valid Unicode (no lone surrogates)');
    expect(refusal(() => parsePath('ok.\udc00')).field).toBe('path');
    expect(parsePath('a\ud83d\ude00')).toEqual(['a\ud83d\ude00']);
  });

  it("'' is the whole document for get/set/merge and refused for the others", () => {
    expect(parsePath('')).toEqual([]);
    expect(refusal(() => parseInnerPath('', 'delete path')).rule).toBe("must name a value inside the document ('' is the whole document)");
    expect(parseInnerPath('a.0')).toEqual(['a', '0']);
  });
});

describe('reserved keys inside written values', () => {
  it('looks through arrays and objects, at any depth up to 64 levels', () => {
    expect(() => checkValueKeys(nested(64, 'array'), 'v')).not.toThrow();
    expect(() => checkValueKeys(nested(64, 'object'), 'v')).not.toThrow();
    expect(refusal(() => checkValueKeys(nested(65, 'array'), 'v')).rule).toBe('must nest at most 64 levels deep');
    expect(refusal(() => checkValueKeys(nested(65, 'object'), 'v')).rule).toBe('must nest at most 64 levels deep');
    expect(refusal(() => checkValueKeys(nested(10, 'array', { constructor: 1 }), 'v')).rule).toBe("must not contain the key 'constructor'");
    expect(refusal(() => checkValueKeys({ a: [{ b: JSON.parse('{"__proto__": 1}') }] }, 'v')).rule).toBe("must not contain the key '__proto__'");
  });

  // a black-box pass: a cyclic value was refused as 'must nest at most 64 levels deep'
  it('names a cyclic value as such; a value that holds one object twice (no cycle) is fine', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = { back: cyclic };
    expect(refusal(() => checkValueKeys(cyclic, 'v')).rule).toBe('must not contain itself (a cyclic value has no JSON form)');
    const list: unknown[] = [1];
    list.push(list);
    expect(refusal(() => checkValueKeys(list, 'v')).rule).toBe('must not contain itself (a cyclic value has no JSON form)');
    const shared = { x: 1 };
    expect(() => checkValueKeys({ a: shared, b: shared, c: [shared, shared] }, 'v')).not.toThrow();
  });

  it('leaves scalars, null and values that serialise themselves (toJSON) alone', () => {
    for (const v of ['a string', 'prototype', 42, true, null, undefined]) expect(() => checkValueKeys(v, 'v')).not.toThrow();
    // JSON.stringify calls toJSON: the object's own keys are never written
    expect(() => checkValueKeys({ toJSON: () => 1, prototype: 2 }, 'v')).not.toThrow();
    expect(() => checkValueKeys(new Date(0), 'v')).not.toThrow();
    // an array's own non-index properties are not written either
    expect(() => checkValueKeys(Object.assign([1], { constructor: 1 }), 'v')).not.toThrow();
  });
});

describe('buildOp', () => {
  it('sends each op as (op, path, JSON argument)', () => {
    expect(buildOp('get', [])).toEqual({ op: 'get', path: [], arg: null });
    expect(buildOp('get', ['a.b'])).toEqual({ op: 'get', path: ['a', 'b'], arg: null });
    expect(buildOp('set', [{ a: 1 }])).toEqual({ op: 'set', path: [], arg: '{"a":1}' });
    expect(buildOp('set', ['a', 2])).toEqual({ op: 'set', path: ['a'], arg: '2' });
    expect(buildOp('merge', [{ a: 1 }])).toEqual({ op: 'merge', path: [], arg: '{"a":1}' });
    expect(buildOp('merge', ['x', { a: 1 }])).toEqual({ op: 'merge', path: ['x'], arg: '{"a":1}' });
    expect(buildOp('delete', ['a'])).toEqual({ op: 'delete', path: ['a'], arg: null });
    expect(buildOp('toggle', ['flags.on'])).toEqual({ op: 'toggle', path: ['flags', 'on'], arg: null });
    expect(buildOp('append', ['list', 'x'])).toEqual({ op: 'append', path: ['list'], arg: '"x"' });
    expect(buildOp('prepend', ['list', null])).toEqual({ op: 'prepend', path: ['list'], arg: 'null' });
    expect(buildOp('setIfNotExists', ['a', false])).toEqual({ op: 'setIfNotExists', path: ['a'], arg: 'false' });
    expect(buildOp('remove', ['list', 0])).toEqual({ op: 'remove', path: ['list'], arg: '0' });
    expect(buildOp('increment', ['n'])).toEqual({ op: 'increment', path: ['n'], arg: '1' });
    expect(buildOp('increment', ['n', -2.5])).toEqual({ op: 'increment', path: ['n'], arg: '-2.5' });
    expect(buildOp('increment', ['n', null])).toEqual({ op: 'increment', path: ['n'], arg: '1' }); // null: the default
  });

  it('names the op in the field of a refused value', () => {
    expect(refusal(() => buildOp('set', ['a', undefined])).field).toBe('set value');
    expect(refusal(() => buildOp('append', ['a', () => 1])).field).toBe('append value');
    expect(refusal(() => buildOp('setIfNotExists', ['a', { prototype: 1 }])).field).toBe('setIfNotExists value');
  });

  it('merges only plain objects', () => {
    for (const v of [null, [1], 'x', 3]) expect(refusal(() => buildOp('merge', [v])).rule, String(v)).toBe('must be an object');
    expect(refusal(() => buildOp('merge', ['p', null])).field).toBe('merge value');
  });

  it('caps one written value at 512 KiB', () => {
    expect(CONTEXT_VALUE_MAX_BYTES).toBe(512 * 1024);
    const fits = 'x'.repeat(512 * 1024 - 2); // the JSON text adds two quotes
    expect(buildOp('set', ['a', fits]).arg).toHaveLength(512 * 1024);
    expect(() => buildOp('set', ['a', `${fits}x`])).toThrow(PayloadTooLargeError);
  });

  it('refuses a bad remove index or increment amount', () => {
    for (const index of [-1, 1.5, '1', undefined]) expect(refusal(() => buildOp('remove', ['list', index])).rule).toBe('must be a non-negative integer');
    for (const by of [NaN, Infinity, '2', true]) {
      const err = refusal(() => buildOp('increment', ['n', by]));
      expect(err.field).toBe('increment value');
      expect(err.rule).toBe('must be a finite number');
    }
  });
});

describe('contextError and opResult', () => {
  const request: ContextOpRequest = { op: 'increment', path: ['a', 'b'], arg: '1' };

  it('HM002 is a ContextTypeError naming op, path and what was found', () => {
    const e = contextError({ code: 'HM002', detail: 'string', message: 'msg' }, request);
    expect(e).toBeInstanceOf(ContextTypeError);
    expect(e).toMatchObject({ op: 'increment', path: 'a.b', found: 'string' });
    expect(contextError({ code: 'HM002', message: 'object' }, request)).toMatchObject({ found: 'object' });
    expect(contextError({ code: 'HM002' }, request)).toMatchObject({ found: 'value' });
  });

  it('HM003 is a PayloadTooLargeError of the context, with its size, against the 1 MiB cap', () => {
    expect(CONTEXT_MAX_BYTES).toBe(1024 * 1024);
    const e = contextError({ code: 'HM003', message: '2000000' }, request);
    expect(e).toBeInstanceOf(PayloadTooLargeError);
    expect(e).toMatchObject({ field: 'context', bytes: 2_000_000, limit: 1024 * 1024 });
    expect(contextError({ code: 'HM003', message: 'not a number' }, request)).toMatchObject({ bytes: 0 });
  });

  it('passes anything else through', () => {
    const other = { code: '23505' };
    expect(contextError(other, request)).toBe(other);
    expect(contextError(null, request)).toBeNull();
    expect(contextError(undefined, request)).toBeUndefined();
  });

  it('get answers null for a missing path; other ops answer what SQL returned', () => {
    const get: ContextOpRequest = { op: 'get', path: ['a'], arg: null };
    expect(opResult(get, undefined)).toBeNull();
    expect(opResult(get, 0)).toBe(0);
    expect(opResult(get, { a: 1 })).toEqual({ a: 1 });
    expect(opResult(request, undefined)).toBeUndefined();
    expect(opResult(request, 3)).toBe(3);
  });
});
