/**
 * `npm run bench` refuses what it does not know rather than running every section (a black-box pass:
 * `--help`, an unknown flag or `--section steps` with a space each ran the whole bench, 10+ minutes
 * and a million-row scratch app; `--backend=bogus` ran nothing and said nothing).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

function bench(...args: string[]) {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'bench/index.ts', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('npm run bench arguments', () => {
  it('--help prints the usage and the section ids, and runs nothing', () => {
    const help = bench('--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: npm run bench -- \[--section=id,\.\.\.\]/);
    expect(help.stdout).toMatch(/sections: baseline, wf1, .*scale, list/);
    expect(help.stdout).not.toMatch(/hotmesh bench:/);
  });

  it('an unknown flag, section or backend exits 2 with the usage', () => {
    for (const args of [['--bogus'], ['--section=bogus'], ['--backend=bogus'], ['extra']]) {
      const run = bench(...args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr, args.join(' ')).toMatch(/^bench: .*\nusage: npm run bench/);
      expect(run.stdout, args.join(' ')).not.toMatch(/hotmesh bench:/);
    }
  });
});
