/**
 * Pure input rules: no database. Every rejection must be a ValidationError that names the field and
 * the rule it broke. (The file runs in both vitest projects, which costs nothing here.)
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Context } from '../src/context/context-handle.js';
import { buildOp, type ContextOpRequest } from '../src/context/context-op.js';
import { parsePath } from '../src/context/context-path.js';
import { parseDurationMs } from '../src/duration.js';
import { isHotMeshError, PayloadTooLargeError, ValidationError } from '../src/errors.js';
import { encodeJson } from '../src/json-value.js';
import { bindSchema, quoteIdentifier, schemaForApp, validateAppId } from '../src/storage/sql-identifier.js';
import { validateArgs, validateFunctionName, validateId, validatePositiveSeconds, validateTaskQueue } from '../src/validation.js';

/** Run `fn`, expect a ValidationError, and return it for further checks. */
function rejects(fn: () => unknown, field: string | RegExp): ValidationError {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(thrown, 'expected a ValidationError').toBeInstanceOf(ValidationError);
  const err = thrown as ValidationError;
  expect(isHotMeshError(err, 'ValidationError')).toBe(true);
  if (typeof field === 'string') expect(err.field).toBe(field);
  else expect(err.field).toMatch(field);
  expect(typeof err.rule).toBe('string');
  expect(err.rule.length).toBeGreaterThan(0);
  expect(err.message).toBe(`Invalid ${err.field}: ${err.rule}`);
  return err;
}

const cyclic: Record<string, unknown> = { a: 1 };
cyclic.self = cyclic;

describe('appId → schema', () => {
  const bad: Array<[string, unknown]> = [
    ['empty', ''],
    ['upper case', 'App'],
    ['double quote + DROP', 'x"; DROP SCHEMA public CASCADE; --'],
    ['single quote + pg_sleep', "x'); select pg_sleep(5); --"],
    ['dollar quotes', '$$'],
    ['backslash', 'a\\b'],
    ['NUL', 'a\u0000b'],
    ['200 bytes', 'a'.repeat(200)],
    ['49 characters', 'a'.repeat(49)],
    ['__proto__', '__proto__'],
    ['constructor (fine as a schema, but upper-case-free names only)', 'Constructor'],
    ['pg_temp', 'pg_temp'],
    ['pg_catalog', 'pg_catalog'],
    ['pg- prefix via dash', 'pg-x'],
    ['public', 'public'],
    ['information_schema', 'information_schema'],
    ['information-schema (maps to information_schema)', 'information-schema'],
    ['hotmesh_registry', 'hotmesh_registry'],
    ['hotmesh-registry (maps to hotmesh_registry)', 'hotmesh-registry'],
    ['leading digit', '1app'],
    ['leading dash', '-app'],
    ['space', 'my app'],
    ['dot', 'my.app'],
    ['non-ASCII', 'appé'],
    ['number', 42],
    ['object', {}],
    ['array', ['app']],
    ['null', null],
  ];
  it.each(bad)('refuses %s', (_label, appId) => {
    const err = rejects(() => validateAppId(appId), 'appId');
    expect(() => schemaForApp(appId as string)).toThrow(ValidationError);
    if (typeof appId !== 'string') expect(err.rule).toContain(`got ${appId === null ? 'object' : typeof appId}`);
  });

  it('maps legal ids to plain identifiers (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (s) => {
        let schema: string;
        try {
          schema = schemaForApp(s);
        } catch (err) {
          expect(err).toBeInstanceOf(ValidationError);
          return;
        }
        expect(schema).toMatch(/^[a-z][a-z0-9_]{0,47}$/);
        expect(schema.startsWith('pg_')).toBe(false);
        expect(quoteIdentifier(schema)).toBe(`"${schema}"`);
      }),
    );
    expect(schemaForApp('a-b')).toBe('a_b');
    expect(schemaForApp('a_b')).toBe('a_b'); // not injective: the registry refuses the second (see bad-input.test.ts)
  });

  it('quoteIdentifier / bindSchema never pass anything but a plain identifier', () => {
    for (const name of ['x"; DROP SCHEMA public CASCADE; --', 'A', 'a b', '', 'a'.repeat(64), 'a\u0000']) {
      rejects(() => quoteIdentifier(name), 'identifier');
      rejects(() => bindSchema('select 1 from {{schema}}.t', name), 'identifier');
    }
    expect(bindSchema('select 1 from {{schema}}.t; notify {{channel}}', 'a_b')).toBe('select 1 from "a_b".t; notify \'hotmesh_a_b\'');
  });
});

describe('task queues, function names, ids', () => {
  it.each([
    ['', 'empty'],
    ['x"; DROP SCHEMA public CASCADE; --', 'injection'],
    ["x'); select pg_sleep(5); --", 'injection'],
    ['$$', 'dollar'],
    ['a\\b', 'backslash'],
    ['a\u0000b', 'NUL'],
    ['a'.repeat(129), 'too long'],
    ['a'.repeat(200), '200 bytes'],
    ['__proto__', 'leading underscore'],
    ['-a', 'leading dash'],
    ['a b', 'space'],
  ])('taskQueue refuses %j (%s)', (q) => {
    rejects(() => validateTaskQueue(q), 'taskQueue');
  });
  it("taskQueue refuses the app channel's reserved prefixes 'done:' and 'emit:'", () => {
    // The app's NOTIFY channel carries topics (from task queues), 'done:<jobId>' and 'emit:<json>':
    // a task queue 'done:x' would have its wake-ups read as "job x-... finished".
    for (const q of ['done:x', 'done:', 'emit:orders', 'DONE:x', 'Emit:x']) {
      expect(rejects(() => validateTaskQueue(q), 'taskQueue').rule).toMatch(/'done:'.*'emit:'/);
    }
    for (const q of ['done', 'emit', 'done-x', 'x:done:', 'emitter:x', 'undone:x']) expect(validateTaskQueue(q)).toBe(q);
  });
  it('taskQueue accepts names that only look dangerous', () => {
    for (const q of ['public', 'pg_temp', 'information_schema', 'App', 'app', 'a-b', 'a_b', 'a.b:c', 'a'.repeat(128)]) {
      expect(validateTaskQueue(q)).toBe(q);
    }
    rejects(() => validateTaskQueue(7), 'taskQueue');
    rejects(() => validateTaskQueue(undefined), 'taskQueue');
  });

  it.each([
    ['a-b', /no "-"/],
    ['__proto__', /'__proto__'/],
    ['constructor', /'constructor'/],
    ['prototype', /'prototype'/],
    ['', /identifier/],
    ['x"; DROP SCHEMA public CASCADE; --', /identifier/],
    ["x'); select pg_sleep(5); --", /identifier/],
    ['a\\b', /identifier/],
    ['a\u0000b', /identifier/],
    ['a'.repeat(129), /identifier/],
    ['a'.repeat(200), /identifier/],
    ['1abc', /identifier/],
  ])('workflowName refuses %j', (name, rule) => {
    expect(rejects(() => validateFunctionName(name), 'workflowName').rule).toMatch(rule);
  });
  it('workflowName accepts identifiers, including odd but legal ones', () => {
    for (const name of ['$$', 'pg_temp', 'public', 'information_schema', 'App', 'app', 'a_b', '_x', 'a'.repeat(128)]) {
      expect(validateFunctionName(name)).toBe(name);
    }
    expect(rejects(() => validateFunctionName(Symbol('x')), 'workflowName').rule).toContain('got symbol');
  });

  it.each([
    ['empty', '', /empty/],
    ['NUL', 'a\u0000b', /control/],
    ['newline', 'a\nb', /control/],
    ['tab', 'a\tb', /control/],
    ['escape', 'a\u001bb', /control/],
    ['DEL', 'a\u007fb', /control/],
    ['256 ASCII bytes', 'x'.repeat(256), /255 bytes/],
    ['256 UTF-8 bytes from 128 characters', 'é'.repeat(128), /255 bytes/],
    ['lone high surrogate', 'a\ud800b', /surrogate/],
    ['lone low surrogate', '\udc00', /surrogate/],
    ['number', 42, /got number/],
    ['object', {}, /got object/],
    ['array', ['a'], /got object/],
    ['undefined', undefined, /got undefined/],
    ['bigint', 1n, /got bigint/],
  ])('workflowId / signalId refuse %s', (_label, id, rule) => {
    expect(rejects(() => validateId('workflowId', id), 'workflowId').rule).toMatch(rule);
    expect(rejects(() => validateId('signalId', id), 'signalId').rule).toMatch(rule);
  });
  it('ids accept hostile but legal strings unchanged', () => {
    for (const id of [
      "'", '"', 'x"; DROP SCHEMA public CASCADE; --', "x'); select pg_sleep(5); --", '$$', '\\', 'x'.repeat(255),
      'é'.repeat(127), '__proto__', 'constructor', 'App', 'app', 'a-b', 'a_b', 'pg_temp', 'public', 'information_schema', '😀',
    ]) {
      expect(validateId('workflowId', id)).toBe(id);
    }
  });

  it('args, expire', () => {
    expect(validateArgs(undefined)).toEqual([]);
    rejects(() => validateArgs('x'), 'args');
    rejects(() => validateArgs({ 0: 'x', length: 1 }), 'args');
    for (const v of [-1, NaN, Infinity, '5']) rejects(() => validatePositiveSeconds('expire', v), 'expire');
    expect(validatePositiveSeconds('expire', 0)).toBe(0);
  });
});

describe('JSON payloads', () => {
  const bad: Array<[string, unknown, RegExp]> = [
    ['function', () => 1, /args\[0\] is a function/],
    ['BigInt', 10n, /args\[0\] is a bigint/],
    ['Symbol', Symbol('s'), /args\[0\] is a symbol/],
    ['cyclic object', cyclic, /args\[0\]\.self is circular/],
    ['Map', new Map([['a', 1]]), /is a Map/],
    ['Set', new Set([1]), /is a Set/],
    ['typed array', new Uint8Array([1]), /is a Uint8Array/],
    ['NaN', NaN, /is NaN/],
    ['Infinity', Infinity, /is Infinity/],
    ['-Infinity', -Infinity, /is -Infinity/],
    ['NUL in a string', 'a\u0000b', /NUL/],
    ['lone high surrogate', 'a\ud800', /surrogate/],
    ['lone low surrogate', '\udc00a', /surrogate/],
    ['NUL in a key', { ['k\u0000']: 1 }, /NUL/],
    ['lone surrogate in a key', { ['\ud800']: 1 }, /surrogate/],
    ['nested function', { a: [{ b: () => 1 }] }, /args\[0\]\.a\[0\]\.b is a function/],
    ['nested BigInt', [[1n]], /args\[0\]\[0\]\[0\] is a bigint/],
    ['toJSON that yields NUL', { toJSON: () => 'x\u0000' }, /NUL/],
  ];
  it.each(bad)('refuses %s', (_label, value, rule) => {
    expect(rejects(() => encodeJson('args', [value]), 'args').rule).toMatch(rule);
  });

  it('round-trips everything it accepts (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        let text: string | null;
        try {
          text = encodeJson('args', value);
        } catch (err) {
          // Only strings jsonb cannot hold may be refused.
          expect(err).toBeInstanceOf(ValidationError);
          expect(JSON.stringify(value)).toMatch(/\\u0000|\\ud[89ab]|\\ud[c-f]/i);
          return;
        }
        expect(JSON.parse(text!)).toEqual(JSON.parse(JSON.stringify(value)));
      }),
    );
    expect(encodeJson('args', 'a\ud83d\ude00b')).toBe('"a😀b"'); // a proper pair is fine
    expect(encodeJson('result', undefined)).toBeNull();
  });

  it('caps the size with a typed error', () => {
    const err = (() => {
      try {
        encodeJson('args', ['x'.repeat(100)], 50);
      } catch (e) {
        return e;
      }
    })() as PayloadTooLargeError;
    expect(err).toBeInstanceOf(PayloadTooLargeError);
    expect(err.field).toBe('args');
    expect(err.limit).toBe(50);
  });
});

describe('durations', () => {
  it.each([['soon'], ['NaN'], [''], ['   '], ['5 fortnights'], [-5], ['-5s'], [NaN], [Infinity], [null], [undefined], [{}], [[5]]])(
    'refuses %j',
    (value) => {
      const err = rejects(() => parseDurationMs(value), 'duration');
      if (typeof value === 'string' || typeof value === 'number') expect(err.rule).toContain(`'${String(value)}' is not a duration`);
    },
  );
  it('parses the established forms', () => {
    expect(parseDurationMs('5 seconds')).toBe(5000);
    expect(parseDurationMs('2m')).toBe(120_000);
    expect(parseDurationMs('50 milliseconds')).toBe(50);
    expect(parseDurationMs('250')).toBe(250);
    expect(parseDurationMs(0)).toBe(0);
  });
});

describe('context paths and ops', () => {
  it.each([
    ['a..b', /empty segments/],
    ['.a', /empty segments/],
    ['a.', /empty segments/],
    ['.', /empty segments/],
    ['__proto__', /'__proto__'/],
    ['a.__proto__.b', /'__proto__'/],
    ['constructor.prototype', /'constructor'/],
    ['a.prototype', /'prototype'/],
    ['a\u0000b', /control/],
    ['a\nb', /control/],
    [Array.from({ length: 33 }, () => 'a').join('.'), /at most 32 segments/],
    ['x'.repeat(257), /at most 256/],
    [123, /got number/],
    [['a', 'b'], /got array/],
    [{ toString: () => 'a' }, /got object/],
    [null, /got object/],
    [Symbol('a'), /got symbol/],
  ])('parsePath refuses %j', (path, rule) => {
    expect(rejects(() => parsePath(path), 'path').rule).toMatch(rule);
  });

  it('parsePath keeps hostile but legal keys byte for byte', () => {
    expect(parsePath('')).toEqual([]);
    for (const key of ["'", '"', 'x"; DROP SCHEMA public CASCADE; --', "x'); select pg_sleep(5); --", '$$', '\\', 'x'.repeat(200), 'App', '{a,b}', 'é😀']) {
      expect(parsePath(key)).toEqual([key]);
      expect(parsePath(`${key}.0.${key}`)).toEqual([key, '0', key]);
    }
  });

  it('every op refuses a bad path before building SQL parameters', () => {
    const ops: Array<[Parameters<typeof buildOp>[0], unknown[]]> = [
      ['get', ['a..b']],
      ['set', ['a..b', 1]],
      ['merge', ['a..b', {}]],
      ['delete', ['a..b']],
      ['append', ['a..b', 1]],
      ['prepend', ['a..b', 1]],
      ['remove', ['a..b', 0]],
      ['increment', ['a..b', 1]],
      ['toggle', ['a..b']],
      ['setIfNotExists', ['a..b', 1]],
    ];
    for (const [op, args] of ops) rejects(() => buildOp(op, args), 'path');
  });

  it("ops whose path names a value inside the document refuse the empty path '' (the whole document)", async () => {
    // toggle('') used to reach SQL and come back as a type clash ("cannot apply to a object"), and
    // delete('') silently emptied the whole document; '' is an invalid path for them, like 'a..b'.
    const ops: Array<[Parameters<typeof buildOp>[0], unknown[]]> = [
      ['delete', ['']],
      ['append', ['', 1]],
      ['prepend', ['', 1]],
      ['remove', ['', 0]],
      ['increment', ['', 1]],
      ['toggle', ['']],
      ['setIfNotExists', ['', 1]],
    ];
    for (const [op, args] of ops) expect(rejects(() => buildOp(op, args), 'path').rule, op).toMatch(/whole document/);
    const sent: ContextOpRequest[] = [];
    const ctx = new Context(async (request) => {
      sent.push(request);
      return null;
    });
    const err = await ctx.toggle('').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ValidationError);
    expect(sent).toEqual([]);
    // get, set and merge address the whole document with '' as without a path
    expect(buildOp('get', ['']).path).toEqual([]);
    expect(buildOp('set', ['', { a: 1 }]).path).toEqual([]);
    expect(buildOp('merge', ['', { a: 1 }]).path).toEqual([]);
  });

  it('values written to the context may not carry prototype keys', () => {
    rejects(() => buildOp('set', ['a', JSON.parse('{"__proto__":{"polluted":true}}')]), 'set value');
    rejects(() => buildOp('merge', [{ constructor: { prototype: { polluted: true } } }]), 'merge value');
    rejects(() => buildOp('append', ['a', [{ b: { prototype: 1 } }]]), 'append value');
    rejects(() => buildOp('set', ['a', undefined]), 'set value');
    rejects(() => buildOp('increment', ['a', NaN]), 'increment value');
    rejects(() => buildOp('increment', ['a', '1']), 'increment value');
    rejects(() => buildOp('remove', ['a', -1]), 'remove index');
    rejects(() => buildOp('remove', ['a', 1.5]), 'remove index');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('Context never mistakes a bad path for a value (set / merge two-argument forms)', async () => {
    const sent: ContextOpRequest[] = [];
    const ctx = new Context(async (request) => {
      sent.push(request);
      return null;
    });
    const refused: Array<[() => Promise<unknown>, string, RegExp]> = [
      [() => ctx.set(123, 'v'), 'path', /got number/], // used to replace the whole document with 123
      [() => ctx.set(['a', 'b'], 1), 'path', /got array/], // ... with ['a', 'b']
      [() => ctx.set({ a: 1 }, { b: 2 }), 'path', /got object/], // ... with { a: 1 }
      [() => ctx.set(null, 1), 'path', /got object/],
      [() => ctx.set('a.b', undefined), 'set value', /undefined/], // ... with the string 'a.b'
      [() => ctx.merge({ a: 1 }, { b: 2 }), 'path', /got object/], // merged { a: 1 }, dropped { b: 2 }
      [() => ctx.merge(7, { b: 2 }), 'path', /got number/],
      [() => ctx.merge('a', undefined), 'merge value', /object/],
    ];
    for (const [call, field, rule] of refused) {
      const err = await call().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).field).toBe(field);
      expect((err as ValidationError).rule).toMatch(rule);
    }
    expect(sent).toEqual([]); // nothing reached the executor (the SQL side)
    // The one-argument forms still mean "the whole document".
    await ctx.set({ a: 1 });
    await ctx.merge({ b: 2 });
    await ctx.set('x.y', 0);
    expect(sent).toEqual([
      { op: 'set', path: [], arg: '{"a":1}' },
      { op: 'merge', path: [], arg: '{"b":2}' },
      { op: 'set', path: ['x', 'y'], arg: '0' },
    ]);
  });
});
