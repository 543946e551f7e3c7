/**
 * The `hotmesh` bin as a user runs it: compiled JavaScript (the build of tsconfig.build.json, as
 * published in dist/), started as a real subprocess. The build goes to
 * node_modules/.cache/hotmesh-cli/<hash of the sources>/, so it is made once per change of src/ and
 * shared by the test files and both vitest projects (whoever finishes first renames it into place).
 */
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN_IN_BUILD = 'cli/main.js';

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(full);
    return e.name.endsWith('.test.ts') ? [] : [full];
  });
}

function sourceHash(): string {
  const hash = createHash('sha256');
  for (const file of [...sourceFiles(path.join(ROOT, 'src')), path.join(ROOT, 'tsconfig.json'), path.join(ROOT, 'tsconfig.build.json')].sort()) {
    hash.update(path.relative(ROOT, file)).update('\0').update(fs.readFileSync(file)).update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

/** Builds of earlier sources (and abandoned partial builds) untouched for an hour: no run uses them now. */
function removeOldBuilds(cache: string, current: string): void {
  for (const name of fs.readdirSync(cache)) {
    const full = path.join(cache, name);
    if (full !== current && Date.now() - fs.statSync(full).mtimeMs > 3_600_000) fs.rmSync(full, { recursive: true, force: true });
  }
}

let built: Promise<string> | undefined;

/** The compiled bin (cli/main.js of a fresh build of src/). */
export function builtCli(): Promise<string> {
  built ??= (async () => {
    const cache = path.join(ROOT, 'node_modules', '.cache', 'hotmesh-cli');
    const dir = path.join(cache, sourceHash());
    const bin = path.join(dir, BIN_IN_BUILD);
    if (fs.existsSync(bin)) return bin;
    fs.mkdirSync(cache, { recursive: true });
    const temp = fs.mkdtempSync(path.join(cache, 'building-'));
    const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    await promisify(execFile)(process.execPath, [tsc, '-p', path.join(ROOT, 'tsconfig.build.json'), '--outDir', temp, '--sourceMap', 'false', '--declaration', 'false'], { cwd: ROOT });
    fs.cpSync(path.join(ROOT, 'src', 'sql', 'migrations'), path.join(temp, 'sql', 'migrations'), { recursive: true });
    fs.cpSync(path.join(ROOT, 'src', 'dashboard', 'assets'), path.join(temp, 'dashboard', 'assets'), { recursive: true });
    try {
      fs.renameSync(temp, dir);
    } catch {
      fs.rmSync(temp, { recursive: true, force: true }); // another build won the race: same sources, same output
    }
    removeOldBuilds(cache, dir);
    return bin;
  })();
  return built;
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Wall time of the subprocess (ms). */
  ms: number;
  /** stdout parsed as JSON (fails the test with the output if it is not). */
  json<T = any>(): T;
}

/** Settings the runs must not inherit from the shell that runs the tests. */
const CLEARED_ENV = ['DATABASE_URL', 'HOTMESH_DATA_DIR', 'HOTMESH_APP', 'HOTMESH_LOCK_WAIT_MS'];

/** Run the bin with `args`; a run that outlives `timeoutMs` is killed (a hang fails the test, as code null). */
export async function runCli(args: readonly string[], options: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {}): Promise<CliRun> {
  const bin = await builtCli();
  const env: Record<string, string | undefined> = { ...process.env };
  for (const key of CLEARED_ENV) delete env[key];
  Object.assign(env, options.env);
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: options.cwd ?? ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({
        code,
        stdout,
        stderr,
        ms: Date.now() - started,
        json: () => {
          try {
            return JSON.parse(stdout);
          } catch {
            throw new Error(`hotmesh ${args.join(' ')}: stdout is not JSON (exit ${code}):\n${stdout}\nstderr:\n${stderr}`);
          }
        },
      });
    });
  });
}

/** The lines of stderr that are not the embedded database's startup notice or a logged warning. */
export function errorLines(run: CliRun): string[] {
  return run.stderr.split('\n').filter((l) => l !== '' && !l.startsWith('hotmesh: using the embedded') && !l.startsWith('hotmesh: no database connection') && !l.startsWith('hotmesh WARN'));
}
