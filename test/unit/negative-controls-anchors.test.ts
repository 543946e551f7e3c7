/**
 * Every negative control (scripts/negative-controls-faults.mjs) still applies: a text patch's anchor
 * occurs exactly once in its file, and the test files it runs exist. CI runs only the short profile
 * of the controls; an anchor edited away by a refactor (as retry-policy.ts's once was) would leave a
 * control of the full profile that breaks nothing and is reported only when someone runs it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

interface Fault {
  id: string;
  patch: { file?: string; find?: string; migration?: string };
  tests: { files: string[] };
  short?: { files: string[] };
}

const REPO = path.resolve(import.meta.dirname, '../..');
const { FAULTS } = (await import(pathToFileURL(path.join(REPO, 'scripts/negative-controls-faults.mjs')).href)) as { FAULTS: Fault[] };

describe('negative controls', () => {
  it('there are controls, and each names its fault once', () => {
    expect(FAULTS.length).toBeGreaterThan(3);
    expect(new Set(FAULTS.map((f) => f.id)).size).toBe(FAULTS.length);
  });

  it.each(FAULTS.map((f) => [f.id, f] as const))('%s: its patch applies once and its tests exist', (_id, fault) => {
    if (fault.patch.migration === undefined) {
      const text = fs.readFileSync(path.join(REPO, fault.patch.file!), 'utf8');
      expect(text.split(fault.patch.find!).length - 1, `${fault.patch.file}: occurrences of the anchor`).toBe(1);
    }
    for (const file of [...fault.tests.files, ...(fault.short?.files ?? [])]) expect(fs.existsSync(path.join(REPO, file)), file).toBe(true);
  });
});
