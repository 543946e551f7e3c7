/**
 * The opaque cursor of `list`: the keyset (created_at to the microsecond, id) of the last item of a
 * page, as base64url JSON. A cursor that does not decode is refused with a ValidationError.
 */
import { ValidationError } from '../errors.js';

export interface Keyset {
  at: string;
  id: string;
}

const STAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

export function encodeCursor(keyset: Keyset): string {
  return Buffer.from(JSON.stringify([keyset.at, keyset.id]), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: unknown): Keyset {
  if (typeof cursor !== 'string' || cursor.length === 0 || cursor.length > 1024 || !/^[A-Za-z0-9_-]+$/.test(cursor)) {
    throw new ValidationError('cursor', 'must be the nextCursor of a previous page');
  }
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new ValidationError('cursor', 'must be the nextCursor of a previous page');
  }
  if (!Array.isArray(value) || value.length !== 2 || typeof value[0] !== 'string' || !STAMP.test(value[0]) || typeof value[1] !== 'string') {
    throw new ValidationError('cursor', 'must be the nextCursor of a previous page');
  }
  return { at: value[0], id: value[1] };
}
