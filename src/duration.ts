/**
 * Durations as the established API takes them: strings parsed by the `ms` package ('2 seconds',
 * '5m', '1 hour', '50 milliseconds'; a bare number string means milliseconds), or a number of
 * milliseconds (of seconds where the API says so: a retry policy's maximumInterval). Unlike upstream,
 * a duration that does not parse is a typed error, not NaN.
 */
import ms from 'ms';
import { ValidationError } from './errors.js';

/** Longer than this is surely a mistake, and would overflow the database's timestamps. */
const MAX_DURATION_MS = 100 * 365.25 * 24 * 3600 * 1000;

export function parseDurationMs(value: unknown, field = 'duration', numbersAre: 'milliseconds' | 'seconds' = 'milliseconds'): number {
  let millis: number;
  if (typeof value === 'number') millis = numbersAre === 'seconds' ? value * 1000 : value;
  else if (typeof value === 'string') {
    // Fix: `ms` throws a plain Error for '' (and whitespace only), which escaped untyped.
    try {
      millis = ms(value.trim() as ms.StringValue);
    } catch {
      millis = Number.NaN;
    }
  }
  else throw new ValidationError(field, `must be a duration string like '5 seconds' or a number of ${numbersAre}`);
  if (typeof millis !== 'number' || !Number.isFinite(millis) || millis < 0) {
    throw new ValidationError(field, `'${String(value)}' is not a duration (try '5 seconds', '2m', '1 hour' or a number of ${numbersAre})`);
  }
  if (millis > MAX_DURATION_MS) throw new ValidationError(field, `'${String(value)}' is longer than 100 years`);
  return millis;
}
