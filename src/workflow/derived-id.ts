/**
 * Ids the engine derives from a call's position (a default child id, a default execHook signal id)
 * must be deterministic and at most 255 bytes. Long parts are replaced by a short stable hash, so
 * two calls never share an id because a long prefix was cut off.
 */

/** 64 bits of FNV-1a, as 16 hex characters (no `node:*`: this runs in workflow code). */
export function stableHash(text: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
  }
  return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0');
}

/** `parts` joined by '-', with any part over 64 characters replaced by its hash. */
export function derivedId(...parts: string[]): string {
  return parts.map((p) => (p.length > 64 ? `h${stableHash(p)}` : p)).join('-');
}
