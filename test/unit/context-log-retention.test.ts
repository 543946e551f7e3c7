/**
 * The `contextLogRetention` option (worker/context-log-retention.ts): what it accepts, what it turns
 * into for the sweeper, and the typed error naming the field for anything else.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import { parseContextLogRetention } from '../../src/worker/context-log-retention.js';

describe('parseContextLogRetention', () => {
  it('undefined keeps everything', () => {
    expect(parseContextLogRetention(undefined, 'f')).toBeUndefined();
  });

  it('{ versions: N } keeps N versions, for every positive integer', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), (n) => {
        expect(parseContextLogRetention({ versions: n }, 'f')).toEqual({ keepVersions: n, olderThanSeconds: null });
      }),
    );
  });

  it('{ period } takes a duration string or milliseconds, in seconds for the sweeper', () => {
    expect(parseContextLogRetention({ period: '30 days' }, 'f')).toEqual({ keepVersions: null, olderThanSeconds: 30 * 86400 });
    expect(parseContextLogRetention({ period: 1500 }, 'f')).toEqual({ keepVersions: null, olderThanSeconds: 1.5 });
    expect(parseContextLogRetention({ period: 0 }, 'f')).toEqual({ keepVersions: null, olderThanSeconds: 0 });
  });

  it('anything else is a ValidationError naming the field', () => {
    const bad: Array<[unknown, string]> = [
      [null, 'f'],
      ['30 days', 'f'],
      [5, 'f'],
      [[], 'f'],
      [{}, 'f'],
      [{ versions: 5, period: '1 day' }, 'f'],
      [{ keep: 5 }, 'f'],
      [{ versions: 0 }, 'f.versions'],
      [{ versions: -3 }, 'f.versions'],
      [{ versions: 2.5 }, 'f.versions'],
      [{ versions: '10' }, 'f.versions'],
      [{ versions: Number.MAX_SAFE_INTEGER + 2 }, 'f.versions'],
      [{ period: 'soon' }, 'f.period'],
      [{ period: -1 }, 'f.period'],
      [{ period: null }, 'f.period'],
    ];
    for (const [value, field] of bad) {
      const err = (() => {
        try {
          parseContextLogRetention(value, 'f');
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(err, JSON.stringify(value)).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).field, JSON.stringify(value)).toBe(field);
    }
  });
});
