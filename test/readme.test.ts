/**
 * The README tells the truth: every TypeScript sample in it is part of a file in examples/, and the
 * examples are run by readme-examples.test.ts and examples.test.ts on both backends.
 */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';

const normalize = (text: string) => text.split('\n').map((l) => l.trimEnd()).join('\n');

describe('README', () => {
  const readme = fs.readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const samples = [...readme.matchAll(/```typescript\n([\s\S]*?)```/g)].map((m) => normalize(m[1]!).trim());
  const examples = fs
    .readdirSync(new URL('../examples/', import.meta.url))
    .filter((f) => f.endsWith('.ts'))
    .map((f) => normalize(fs.readFileSync(new URL(`../examples/${f}`, import.meta.url), 'utf8')));

  it('has TypeScript samples', () => {
    expect(samples.length).toBeGreaterThanOrEqual(4);
  });

  it.each(samples.map((s, i) => [i, s]))('sample %i is executed code from examples/', (_i, sample) => {
    expect(examples.some((e) => e.includes(sample as string))).toBe(true);
  });

  it('shows the two commands a newcomer runs', () => {
    expect(readme).toContain('npm install && npm run demo');
    expect(readme).toContain('npm test');
  });
});
