import { randomBytes } from 'node:crypto';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-';

/** Upstream's id: 'H' followed by `size` random URL-safe characters. */
export function guid(size = 22): string {
  const bytes = randomBytes(size);
  let id = 'H';
  for (let i = 0; i < size; i++) id += ALPHABET[bytes[i]! & 63];
  return id;
}
