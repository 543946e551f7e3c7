/** Durations (src/duration.ts): `ms` strings or milliseconds, and typed errors for everything else. */
import { describe, expect, it } from 'vitest';
import { parseDurationMs } from '../../src/duration.js';
import { ValidationError } from '../../src/errors.js';

function refusal(value: unknown, field?: string): ValidationError {
  try {
    parseDurationMs(value, field);
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return err as ValidationError;
  }
  throw new Error(`accepted ${String(value)}`);
}

const HUNDRED_YEARS_MS = 100 * 365.25 * 24 * 3600 * 1000;

describe('parseDurationMs', () => {
  it('parses ms strings and takes numbers as milliseconds', () => {
    expect(parseDurationMs('2 seconds')).toBe(2000);
    expect(parseDurationMs('5m')).toBe(300_000);
    expect(parseDurationMs('1 hour')).toBe(3_600_000);
    expect(parseDurationMs('50 milliseconds')).toBe(50);
    expect(parseDurationMs('1500')).toBe(1500);
    expect(parseDurationMs('  3s  ')).toBe(3000); // trimmed
    expect(parseDurationMs(1500)).toBe(1500);
    expect(parseDurationMs(0)).toBe(0);
    expect(parseDurationMs('0')).toBe(0);
  });

  it('refuses what does not parse, negative and non-finite values, naming the field and the value', () => {
    for (const value of ['', '   ', 'soon', 'abc ms', -1, '-5s', NaN, Infinity, -Infinity]) {
      const err = refusal(value, 'sleepFor');
      expect(err.field).toBe('sleepFor');
      expect(err.rule).toBe(`'${String(value)}' is not a duration (try '5 seconds', '2m', '1 hour' or a number of milliseconds)`);
    }
    expect(refusal('soon').field).toBe('duration'); // the default field name
  });

  it('refuses what is neither a string nor a number', () => {
    for (const value of [undefined, null, true, {}, ['1s'], 10n]) {
      const err = refusal(value, 'maximumInterval');
      expect(err.field).toBe('maximumInterval');
      expect(err.rule).toBe("must be a duration string like '5 seconds' or a number of milliseconds");
    }
  });

  it('accepts up to 100 years, refuses longer', () => {
    expect(parseDurationMs(HUNDRED_YEARS_MS)).toBe(HUNDRED_YEARS_MS);
    expect(refusal(HUNDRED_YEARS_MS + 1).rule).toBe(`'${HUNDRED_YEARS_MS + 1}' is longer than 100 years`);
    expect(refusal('101 years').rule).toBe("'101 years' is longer than 100 years");
  });
});
