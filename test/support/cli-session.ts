/**
 * A CLI session against one app on the project's backend: `hotmesh(...)` runs the bin with
 * `--app` and `--url` (PostgreSQL) or `--data-dir` (PGlite) and times it; `serve(...)` opens a
 * worker in the test process only while its function runs, because an embedded data directory
 * admits one process at a time (the CLI run would meet the lock otherwise).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { MemFlow, type MemFlowInstance } from '../../src/index.js';
import { backend, POSTGRES_URL, uniqueAppId } from './backend.js';
import { builtCli, type CliRun, runCli } from './cli.js';

export class CliSession {
  readonly appId: string;
  readonly root = fs.mkdtempSync(path.join(os.tmpdir(), 'hotmesh-cli-'));
  private readonly runs: Array<{ command: string; ms: number }> = [];

  constructor(
    prefix: string,
    private readonly workflows: ReadonlyArray<(...args: any[]) => unknown>,
  ) {
    this.appId = uniqueAppId(prefix);
  }

  /** Where the data is, as the CLI's flags. */
  get where(): string[] {
    return backend === 'postgres' ? ['--url', POSTGRES_URL] : ['--data-dir', path.join(this.root, 'data')];
  }

  /** The compiled bin (built once per change of src/). */
  bin(): Promise<string> {
    return builtCli();
  }

  /** `hotmesh --app <appId> <where> ...args`. */
  async hotmesh(...args: string[]): Promise<CliRun> {
    const run = await runCli(['--app', this.appId, ...this.where, ...args]);
    this.runs.push({ command: args[0] === 'context' ? `context ${args[1]}` : args[0]!, ms: run.ms });
    return run;
  }

  /** A worker of every workflow (task queue 'cli') in this process, open only while `fn` runs. */
  async serve<T>(fn: (mf: MemFlowInstance) => Promise<T>): Promise<T> {
    const connection = backend === 'postgres' ? { class: pg.Client, options: { connectionString: POSTGRES_URL } } : { dataDir: path.join(this.root, 'data') };
    const mf = await MemFlow.init({ appId: this.appId, engine: { connection } });
    try {
      for (const workflow of this.workflows) await mf.worker.create({ taskQueue: 'cli', workflow });
      return await fn(mf);
    } finally {
      await mf.shutdown();
    }
  }

  /** Remove the directory; say what each run cost. */
  close(): void {
    fs.rmSync(this.root, { recursive: true, force: true });
    console.log(`hotmesh CLI runs (${backend}): ${this.runs.map((r) => `${r.command} ${r.ms} ms`).join(', ')}`);
  }
}
