/**
 * JSON given on the command line (`--args '["Jane"]'`, a signal's payload, a context value): parsed
 * before anything is opened, and refused with a ValidationError naming the argument, so a shell
 * quoting slip reads as "Invalid --args: ..." and never as a database error.
 */
import { ValidationError } from '../errors.js';

/** `text` as JSON, or a ValidationError naming `name` and where the parse stopped. */
export function parseJsonArgument(name: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new ValidationError(name, `must be JSON (${reason}); quote it for the shell, e.g. '{"a":1}' or '"text"'`);
  }
}

/** A JSON array (a function's arguments). Absent: no arguments. */
export function parseJsonArray(name: string, text: string | undefined): unknown[] {
  if (text === undefined) return [];
  const value = parseJsonArgument(name, text);
  if (!Array.isArray(value)) throw new ValidationError(name, `must be a JSON array of arguments, e.g. '["Jane"]' (got ${describeJson(value)})`);
  return value;
}

/** An integer given as text (a version, a seq, a limit), within bounds. */
export function parseIntegerArgument(name: string, text: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^-?[0-9]+$/.test(text.trim())) throw new ValidationError(name, `must be an integer (got '${text}')`);
  const n = Number(text);
  if (n < min || n > max) throw new ValidationError(name, `must be between ${min} and ${max} (got ${n})`);
  return n;
}

function describeJson(value: unknown): string {
  if (value === null) return 'null';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
