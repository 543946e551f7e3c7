/**
 * guid(): ids drawn from a block of random bytes (memflow/guid.ts). Every id is fresh across the
 * block's refills, and an id longer than a block still gets bytes of its own.
 */
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import { guid } from '../../src/memflow/guid.js';

describe('guid', () => {
  it('gives well-formed ids that do not repeat across several refills of its block', () => {
    const ids = Array.from({ length: 2000 }, () => guid()); // 44,000 bytes: about ten blocks
    for (const id of ids) expect(id).toMatch(/^H[A-Za-z0-9_-]{22}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('serves any size, including one larger than its block', () => {
    expect(guid(8)).toMatch(/^H[A-Za-z0-9_-]{8}$/);
    const long = guid(5000);
    expect(long).toHaveLength(5001);
    expect(new Set(long).size).toBeGreaterThan(32); // random, not a repeated byte
  });

  it('refuses a size that is not a whole number, and later ids stay random', () => {
    for (const size of [Number.NaN, -4, 2.5, Number.POSITIVE_INFINITY]) expect(() => guid(size)).toThrow(ValidationError);
    const ids = Array.from({ length: 50 }, () => guid());
    expect(new Set(ids).size).toBe(50);
  });
});
