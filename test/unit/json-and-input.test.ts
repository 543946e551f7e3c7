/**
 * JSON payloads and input rules at their edges (src/json-value.ts, src/validation.ts); the common
 * refusals are in test/validation.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { PayloadTooLargeError, ValidationError } from '../../src/errors.js';
import { encodeJson, MAX_PAYLOAD_BYTES } from '../../src/json-value.js';
import { validateArgs, validateId, validatePositiveSeconds } from '../../src/validation.js';

describe('encodeJson', () => {
  it('caps a payload at exactly 2 MiB of JSON text', () => {
    expect(MAX_PAYLOAD_BYTES).toBe(2 * 1024 * 1024);
    expect(encodeJson('args', 'x'.repeat(10 - 2), 10)).toBe('"xxxxxxxx"');
    const err = (() => {
      try {
        encodeJson('args', 'x'.repeat(10 - 1), 10);
      } catch (e) {
        return e as PayloadTooLargeError;
      }
    })();
    expect(err).toBeInstanceOf(PayloadTooLargeError);
    expect(err).toMatchObject({ field: 'args', bytes: 11, limit: 10 });
    expect(encodeJson('args', 'y'.repeat(MAX_PAYLOAD_BYTES - 2))).toHaveLength(MAX_PAYLOAD_BYTES);
    expect(() => encodeJson('args', 'y'.repeat(MAX_PAYLOAD_BYTES - 1))).toThrow(PayloadTooLargeError);
    expect(() => encodeJson('args', 'é'.repeat(MAX_PAYLOAD_BYTES / 2))).toThrow(PayloadTooLargeError); // bytes, not characters
  });

  it('encodes undefined, and a toJSON that yields undefined, as SQL NULL', () => {
    expect(encodeJson('result', undefined)).toBeNull();
    expect(encodeJson('result', { toJSON: () => undefined })).toBeNull();
    expect(encodeJson('result', null)).toBe('null');
  });

  it('accepts control characters JSON escapes, and text that merely looks like an escape', () => {
    expect(encodeJson('args', 'a\u0001b\nc')).toBe('"a\\u0001b\\nc"');
    expect(encodeJson('args', 'path\\ud800 and \\u0000 as text')).toBe('"path\\\\ud800 and \\\\u0000 as text"');
    expect(encodeJson('args', { toJSON: () => 'x\\ud800' })).toBe('"x\\\\ud800"');
  });

  it('refuses NUL and lone surrogates produced by toJSON (after the escape JSON gives them)', () => {
    for (const [value, rule] of [
      [{ toJSON: () => 'x\u0000' }, 'must not contain NUL (\\u0000) characters'],
      [{ toJSON: () => 'x\ud800' }, 'must be valid Unicode (no lone surrogates)'],
      [{ toJSON: () => 'x\uDBFFy' }, 'must be valid Unicode (no lone surrogates)'],
      [{ toJSON: () => ['\udfff'] }, 'must be valid Unicode (no lone surrogates)'],
    ] as const) {
      const err = (() => {
        try {
          encodeJson('data', value);
        } catch (e) {
          return e as ValidationError;
        }
      })();
      expect(err).toBeInstanceOf(ValidationError);
      expect(err).toMatchObject({ field: 'data', rule });
    }
    expect(encodeJson('data', { toJSON: () => 'pair \ud83d\ude00' })).toBe('"pair \ud83d\ude00"');
  });

  it('names the path of a bad value inside the payload', () => {
    expect(() => encodeJson('args', [{ a: NaN }])).toThrow('Invalid args: must be JSON-serialisable: args[0].a is NaN');
    expect(() => encodeJson('args', { k: 'ok', 'bad\u0000key': 1 })).toThrow(/NUL/);
    // spelled only when something is wrong: arrays and objects nested, the top level itself
    expect(() => encodeJson('result', { a: [1, { b: [2, () => 3] }] })).toThrow('result.a[1].b[1] is a function');
    expect(() => encodeJson('result', Infinity)).toThrow('result is Infinity');
    const shared = { x: 1 };
    expect(encodeJson('result', [shared, { again: shared }])).toBe('[{"x":1},{"again":{"x":1}}]'); // seen twice, not a cycle
  });
});

describe('input rules', () => {
  it('validateArgs: undefined is no arguments, an array is kept, anything else is refused', () => {
    expect(validateArgs(undefined)).toEqual([]);
    const args = [1, 'a'];
    expect(validateArgs(args)).toBe(args);
    expect(() => validateArgs('a')).toThrow(ValidationError);
    expect(() => validateArgs(null, 'hook args')).toThrow('Invalid hook args: must be an array');
  });

  it('validatePositiveSeconds: absent is undefined; a non-negative finite number is kept', () => {
    expect(validatePositiveSeconds('expire', undefined)).toBeUndefined();
    expect(validatePositiveSeconds('expire', null)).toBeUndefined();
    expect(validatePositiveSeconds('expire', 0)).toBe(0);
    expect(validatePositiveSeconds('expire', 2.5)).toBe(2.5);
    for (const v of [-1, NaN, Infinity, '5', true]) expect(() => validatePositiveSeconds('expire', v)).toThrow('Invalid expire: must be a non-negative number of seconds');
  });

  it('validateId: 1 to 255 bytes', () => {
    expect(validateId('signalId', 'x'.repeat(255))).toHaveLength(255);
    expect(() => validateId('signalId', 'x'.repeat(256))).toThrow('must be at most 255 bytes');
    expect(() => validateId('signalId', 'é'.repeat(128))).toThrow('must be at most 255 bytes'); // 256 bytes
  });
});
