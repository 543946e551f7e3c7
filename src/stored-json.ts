/**
 * A value as the database gives it back. Results are stored as jsonb, which keeps no key order (it
 * sorts each object's keys: shorter first, then by their UTF-8 bytes), turns a Date into its ISO
 * string, drops `undefined` properties, and so on. A replay reads that form, so the run that made
 * the call must hand its workflow the same form, not the value as the function returned it: a
 * workflow that walks `Object.keys(result)` would otherwise pair its later calls with other keys
 * on the next run (test/replay-sees-what-the-first-run-saw.test.ts).
 */

const utf8 = new TextEncoder();

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** jsonb's order of object keys: by the length of their UTF-8 encoding, then byte by byte. */
export function jsonbKeyOrder(a: string, b: string): number {
  if (isAscii(a) && isAscii(b)) {
    if (a.length !== b.length) return a.length - b.length;
    return a < b ? -1 : a > b ? 1 : 0;
  }
  const x = utf8.encode(a);
  const y = utf8.encode(b);
  if (x.length !== y.length) return x.length - y.length;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return 0;
}

/** Each object rebuilt with its keys in jsonb's order (JavaScript then lists integer-like keys first, as it does for any parsed JSON). */
function inJsonbOrder(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = inJsonbOrder(value[i]);
    return value;
  }
  const source = value as Record<string, unknown>;
  const keys = Object.keys(source);
  if (keys.length > 1) keys.sort(jsonbKeyOrder);
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const v = inJsonbOrder(source[key]);
    // an own "__proto__" key, as JSON.parse makes it (a plain assignment would set the prototype)
    if (key === '__proto__') Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
    else out[key] = v;
  }
  return out;
}

/** The value of stored JSON text (`null`: undefined, stored as SQL NULL) as a read of it returns it. */
export function asStored(json: string | null): unknown {
  if (json === null) return undefined;
  return inJsonbOrder(JSON.parse(json));
}
