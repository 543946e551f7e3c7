/**
 * The `hotmesh` CLI as a user runs it (the compiled bin, a subprocess), on the project's backend:
 * PostgreSQL through `--url`, or a PGlite data directory through `--data-dir`. A worker in the test
 * process serves the workflows between CLI runs; it closes before each run, because an embedded data
 * directory admits one process at a time (cli-errors.test.ts checks what a run meets otherwise).
 *
 * One session, in order: migrate, start, list, describe, read and change the context, hook, signal,
 * cancel, terminate, retry, fork, resume (refused: wrong state), history, context log, export, and
 * replay of the export against compatible and diverging code; then an unknown id, an unknown app and
 * a finished job. Every subprocess start costs (PGlite opens its directory each time), so the worker
 * opens twice in all and each run is asserted on fully.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CancelledError, MemFlow, type MemFlowInstance, WorkflowFailedError } from '../src/index.js';
import { MIGRATIONS } from '../src/storage/migrate.js';
import { backend, POSTGRES_URL, uniqueAppId } from './support/backend.js';
import { builtCli, type CliRun, errorLines, runCli } from './support/cli.js';
import { untilWaiting } from './support/job-state.js';

export async function greeter(name: string) {
  const ctx = await MemFlow.workflow.context();
  await ctx.set({ greeting: `hello ${name}` });
  const data = await MemFlow.workflow.waitFor<{ ok: boolean }>('go');
  return { name, data };
}

let chargeFixed = false;
const { charge } = MemFlow.workflow.proxyActivities({
  activities: {
    async charge(cents: number) {
      if (!chargeFixed) throw new MemFlow.Errors.MemFlowFatalError('card declined');
      return { charged: cents };
    },
  },
  retryPolicy: { maximumAttempts: 1, backoffCoefficient: 1, maximumInterval: '1s' },
});

/** Fails (its activity throws a fatal error) until the test fixes `charge`. */
export async function checkout(cents: number) {
  const ctx = await MemFlow.workflow.context();
  await ctx.set({ cents });
  return charge(cents);
}

/** Waits until cancelled or terminated. */
export async function idler() {
  try {
    await MemFlow.workflow.waitFor('never');
  } catch (err) {
    if (err instanceof CancelledError) return `cancelled: ${err.reason}`;
    throw err;
  }
}

export async function tagger(tag: string) {
  const ctx = await MemFlow.workflow.context();
  await ctx.merge({ hooked: tag });
}

const label = (m: { version: number; name: string }) => `${String(m.version).padStart(4, '0')}_${m.name}`;

describe(`hotmesh CLI session (${backend})`, () => {
  const appId = uniqueAppId('cli');
  const workflowId = `cli-${appId}`;
  let root: string;
  let where: string[];
  let bin: string;
  const runs: Array<{ args: string; ms: number }> = [];

  /** `hotmesh --app <appId> <where> ...args`, timed. */
  async function hotmesh(...args: string[]): Promise<CliRun> {
    const run = await runCli(['--app', appId, ...where, ...args]);
    runs.push({ args: args.join(' '), ms: run.ms });
    return run;
  }

  /** A worker in this process, open only while `fn` runs. */
  async function serve<T>(fn: (mf: MemFlowInstance) => Promise<T>): Promise<T> {
    const connection = backend === 'postgres' ? { class: pg.Client, options: { connectionString: POSTGRES_URL } } : { dataDir: path.join(root, 'data') };
    const mf = await MemFlow.init({ appId, engine: { connection } });
    try {
      await mf.worker.create({ taskQueue: 'cli', workflow: greeter });
      await mf.worker.create({ taskQueue: 'cli', workflow: tagger });
      await mf.worker.create({ taskQueue: 'cli', workflow: checkout });
      await mf.worker.create({ taskQueue: 'cli', workflow: idler });
      return await fn(mf);
    } finally {
      await mf.shutdown();
    }
  }

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'hotmesh-cli-'));
    where = backend === 'postgres' ? ['--url', POSTGRES_URL] : ['--data-dir', path.join(root, 'data')];
    bin = await builtCli();
  }, 120_000);
  afterAll(() => {
    fs.rmSync(root, { recursive: true, force: true });
    console.log(`hotmesh CLI runs (${backend}): ${runs.map((r) => `${r.args.split(' ')[0]} ${r.ms} ms`).join(', ')}`);
  });

  it('migrates, starts, lists, describes, changes context, hooks, signals, cancels, terminates, retries, forks, exports and replays', async () => {
    const migrated = await hotmesh('migrate', '--json');
    expect(migrated.code, migrated.stderr).toBe(0);
    expect(migrated.json()).toEqual({ appId, schema: appId.replace(/-/g, '_'), applied: MIGRATIONS.map(label), pending: [] });

    const started = await hotmesh('start', 'cli', 'greeter', '--args', '["Ann"]', '--id', workflowId, '--json');
    expect(started.code, started.stderr).toBe(0);
    expect(started.json()).toEqual({ workflowId });

    const ids = { cancel: `${workflowId}-cancel`, terminate: `${workflowId}-terminate`, retry: `${workflowId}-retry`, fork: `${workflowId}-fork` };
    await serve(async (mf) => {
      const db = await mf.client.engine(appId);
      await mf.workflow.start({ taskQueue: 'cli', workflowName: 'idler', workflowId: ids.cancel });
      await mf.workflow.start({ taskQueue: 'cli', workflowName: 'idler', workflowId: ids.terminate });
      const failing = await mf.workflow.start({ taskQueue: 'cli', workflowName: 'checkout', workflowId: ids.retry, args: [4200] });
      await expect(failing.result()).rejects.toThrow('card declined');
      await untilWaiting(db, ids.cancel, 'never');
      await untilWaiting(db, ids.terminate, 'never');
      await untilWaiting(db, workflowId, 'go');
    });

    const listed = await hotmesh('list', '--workflow', 'greeter', '--status', 'waiting,running', '--json');
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.json()).toMatchObject({ items: [{ workflowId, workflowName: 'greeter', taskQueue: 'cli', status: 'waiting' }], nextCursor: null });

    const described = await hotmesh('describe', workflowId, '--json');
    expect(described.code, described.stderr).toBe(0);
    const description = described.json();
    expect(description).toMatchObject({ workflowId, status: 'waiting', attempt: 1, error: null });
    expect(description.waitingFor.signals.map((s: { signalId: string }) => s.signalId)).toEqual(['go']);

    // readable output: the context is printed as JSON whatever the mode
    const context = await hotmesh('context', 'get', workflowId);
    expect(context.code, context.stderr).toBe(0);
    expect(JSON.parse(context.stdout)).toEqual({ greeting: 'hello Ann' });

    const incremented = await hotmesh('context', 'increment', workflowId, 'visits', '2', '--json');
    expect(incremented.code, incremented.stderr).toBe(0);
    expect(incremented.json()).toBe(2);

    const hooked = await hotmesh('hook', workflowId, 'cli', 'tagger', '--args', '["t1"]', '--json');
    expect(hooked.code, hooked.stderr).toBe(0);
    expect(hooked.json()).toEqual({ workflowId, thread: expect.stringMatching(/^hook-/) });

    const signalled = await hotmesh('signal', workflowId, 'go', '{"ok":true}', '--json');
    expect(signalled.code, signalled.stderr).toBe(0);
    expect(signalled.json()).toEqual({ workflowId, signalId: 'go' });

    const cancelled = await hotmesh('cancel', ids.cancel, '--reason', 'customer left', '--json');
    expect(cancelled.code, cancelled.stderr).toBe(0);
    expect(cancelled.json()).toEqual({ workflowId: ids.cancel, action: 'cancel' });
    const terminated = await hotmesh('terminate', ids.terminate, '--reason', 'stuck');
    expect(terminated.code, terminated.stderr).toBe(0);
    expect(terminated.stdout).toBe(`terminated ${ids.terminate}\n`);
    const refused = await hotmesh('resume', ids.terminate);
    expect(refused.code).toBe(1);
    expect(errorLines(refused)).toEqual([`hotmesh: Cannot resume workflow ${ids.terminate}: it is terminated (resume applies to parked workflows)`]);
    chargeFixed = true; // the fix is deployed
    const retried = await hotmesh('retry', ids.retry, '--json');
    expect(retried.code, retried.stderr).toBe(0);
    expect(retried.json()).toEqual({ workflowId: ids.retry, action: 'retry' });
    const forked = await hotmesh('fork', ids.retry, '--from', '1', '--id', ids.fork, '--json');
    expect(forked.code, forked.stderr).toBe(0);
    expect(forked.json()).toEqual({ workflowId: ids.fork, forkedFrom: ids.retry });

    await serve(async (mf) => {
      const handleOf = (id: string) => mf.workflow.getHandle('cli', 'idler', id);
      expect(await (await handleOf(ids.cancel)).result()).toBe('cancelled: customer left');
      await expect((await handleOf(ids.terminate)).result()).rejects.toBeInstanceOf(WorkflowFailedError);
      expect(await (await handleOf(ids.retry)).result()).toEqual({ charged: 4200 });
      expect(await (await handleOf(ids.fork)).result()).toEqual({ charged: 4200 });
      const handle = await mf.workflow.getHandle('cli', 'greeter', workflowId);
      expect(await handle.result()).toEqual({ name: 'Ann', data: { ok: true } });
      const ctx = await mf.workflow.context(workflowId);
      for (let i = 0; i < 400 && (await ctx.get('hooked')) !== 't1'; i++) await new Promise((r) => setTimeout(r, 50));
      expect(await ctx.get()).toEqual({ greeting: 'hello Ann', visits: 2, hooked: 't1' });
    });

    const history = await hotmesh('history', workflowId, '--json');
    expect(history.code, history.stderr).toBe(0);
    const main = history.json().filter((e: { thread: string }) => e.thread === 'main');
    expect(main.map((e: { kind: string; status: string }) => `${e.kind}:${e.status}`)).toEqual(['context:done', 'wait:done']);
    expect(main[1].result).toEqual({ ok: true });

    const log = await hotmesh('context', 'log', workflowId);
    expect(log.code, log.stderr).toBe(0);
    const lines = log.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^VERSION\s+OP\s+PATH\s+ARG\s+ACTOR\s+AT$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 2).join(' '))).toEqual(['1 set', '2 increment', '3 merge']);
    expect(lines[2]).toMatch(/\bcli\b/); // the increment's actor

    const file = path.join(root, 'export.json');
    const exported = await hotmesh('export', workflowId, '-o', file, '--json');
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.json()).toEqual({ workflowId, file, entries: history.json().length });
    const written = JSON.parse(fs.readFileSync(file, 'utf8'));
    expect(written).toMatchObject({ workflowId, workflowName: 'greeter', taskQueue: 'cli', args: ['Ann'], entries: history.json() });
    expect(written.export.state.data.done).toBe(true);

    const statuses = await hotmesh('list', '--id-prefix', `${workflowId}-`, '--json');
    expect(statuses.code, statuses.stderr).toBe(0);
    expect(Object.fromEntries(statuses.json().items.map((i: { workflowId: string; status: string }) => [i.workflowId, i.status]))).toEqual({
      [ids.cancel]: 'completed', // it caught the CancelledError and returned
      [ids.terminate]: 'terminated',
      [ids.retry]: 'completed',
      [ids.fork]: 'completed',
    });

    // the export replays against the code that wrote it, and names the first call of code that diverges
    const code = (name: string, body: string) => {
      const file = path.join(root, `${name}.mjs`);
      fs.writeFileSync(file, `import { MemFlow } from ${JSON.stringify(pathToFileURL(path.join(path.dirname(path.dirname(bin)), 'index.js')).href)};\n${body}\n`);
      return file;
    };
    const same = code('greeter-same', `export async function greeter(name) {
  const ctx = await MemFlow.workflow.context();
  await ctx.set({ greeting: 'hello ' + name });
  const data = await MemFlow.workflow.waitFor('go');
  return { name, data };
}`);
    const changed = code('greeter-changed', `export async function greeter(name) {
  await MemFlow.workflow.sleepFor('1 second');
  return name;
}`);
    const compatible = await runCli(['replay', file, '--module', same, '--export', 'greeter', '--json']);
    expect(compatible.code, compatible.stderr).toBe(0);
    expect(compatible.json()).toEqual({ compatible: true, file, workflow: `${same}#greeter` });
    const diverging = await runCli(['replay', file, '--module', changed, '--export', 'greeter']);
    expect(diverging.code).toBe(1);
    expect(diverging.stdout).toBe('');
    expect(errorLines(diverging)).toEqual([
      expect.stringMatching(new RegExp(`^hotmesh: .*greeter diverges from .* at seq 1 \\(thread main\\): the history recorded context\\('set'\\), the code now calls sleep\\('1 second'\\)$`)),
    ]);

    const finished = await hotmesh('describe', workflowId);
    expect(finished.code, finished.stderr).toBe(0);
    expect(finished.stdout).toMatch(/^status:\s+completed$/m);
    expect(finished.stdout).toMatch(/^hooks:\nTHREAD\s+WORKFLOW/m);
  }, 300_000);

  it('exits 3 for an unknown workflow id or app, 1 for a signal to a finished job, with one line on stderr', async () => {
    const unknown = await hotmesh('describe', 'no-such-job');
    expect(unknown.code).toBe(3);
    expect(errorLines(unknown)).toEqual(['hotmesh: no-such-job Not Found']);
    expect(unknown.stdout).toBe('');

    const app = await runCli(['--app', `${appId}-missing`, ...where, 'context', 'get', workflowId]);
    expect(app.code).toBe(3);
    expect(errorLines(app)).toEqual([expect.stringMatching(new RegExp(`^hotmesh: No app '${appId}-missing' in this database \\(its apps: .*${appId}.*\\)\\. .*hotmesh migrate --app ${appId}-missing`))]);

    const late = await hotmesh('signal', workflowId, 'go', '1');
    expect(late.code).toBe(1);
    expect(errorLines(late)).toEqual([expect.stringMatching(/^hotmesh: Job .* has finished and none of its threads is running/)]);
  }, 120_000);
});
