/**
 * What changed between two versions of a context: one entry per path that was added, removed or
 * changed. Objects are compared key by key and arrays index by index, so merging `{ hooks: { r1 } }`
 * shows as `hooks.r1` added rather than `hooks` changed.
 */

export type DiffKind = 'added' | 'removed' | 'changed';

export interface DiffEntry {
  path: string[];
  kind: DiffKind;
  /** The value at the older version (removed, changed). */
  before?: unknown;
  /** The value at the newer version (added, changed). */
  after?: unknown;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function sameScalar(a: unknown, b: unknown): boolean {
  return a === b || (Number.isNaN(a) && Number.isNaN(b));
}

function walk(before: unknown, after: unknown, path: string[], out: DiffEntry[]): void {
  if (isObject(before) && isObject(after)) {
    for (const key of Object.keys(before)) {
      if (!Object.hasOwn(after, key)) out.push({ path: [...path, key], kind: 'removed', before: before[key] });
      else walk(before[key], after[key], [...path, key], out);
    }
    for (const key of Object.keys(after)) {
      if (!Object.hasOwn(before, key)) out.push({ path: [...path, key], kind: 'added', after: after[key] });
    }
    return;
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const shared = Math.min(before.length, after.length);
    for (let i = 0; i < shared; i++) walk(before[i], after[i], [...path, String(i)], out);
    for (let i = shared; i < before.length; i++) out.push({ path: [...path, String(i)], kind: 'removed', before: before[i] });
    for (let i = shared; i < after.length; i++) out.push({ path: [...path, String(i)], kind: 'added', after: after[i] });
    return;
  }
  if (!sameScalar(before, after)) out.push({ path, kind: 'changed', before, after });
}

/** The changes that turn `before` into `after`, in document order (removals of array tails last). */
export function diffJson(before: unknown, after: unknown): DiffEntry[] {
  const out: DiffEntry[] = [];
  walk(before, after, [], out);
  return out;
}
