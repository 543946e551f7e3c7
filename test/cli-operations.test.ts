/**
 * The rest of the `hotmesh` commands, wired to the management API (the compiled bin, a subprocess):
 * hook, cancel, terminate, resume (refused: wrong state), retry, fork, context log and at, export,
 * replay of the export against compatible and diverging code, readable describe and list, an unknown
 * app, a signal to a finished job.
 *
 * PostgreSQL only (vitest.config.ts): these runs differ from cli.test.ts's only in what they call on
 * the API, whose behaviour on both backends is manage-*.test.ts; a PGlite CLI run costs seconds.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CancelledError, MemFlow, WorkflowFailedError } from '../src/index.js';
import { errorLines, runCli } from './support/cli.js';
import { CliSession } from './support/cli-session.js';
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

/** Waits until cancelled (and says so) or terminated. */
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

describe('hotmesh CLI: operating workflows', () => {
  const session = new CliSession('cliops', [greeter, checkout, idler, tagger]);
  const { appId } = session;
  const base = `ops-${appId}`;
  const ids = { greet: `${base}-greet`, cancel: `${base}-cancel`, terminate: `${base}-terminate`, retry: `${base}-retry`, fork: `${base}-fork` };
  let bin: string;
  beforeAll(async () => {
    bin = await session.bin();
  }, 120_000);
  afterAll(() => session.close());

  it('hooks, cancels, terminates, retries and forks; logs and exports; replays the export against compatible and diverging code', async () => {
    await session.serve(async (mf) => {
      const db = await mf.client.engine(appId);
      await mf.workflow.start({ taskQueue: 'cli', workflowName: 'greeter', workflowId: ids.greet, args: ['Ann'] });
      await mf.workflow.start({ taskQueue: 'cli', workflowName: 'idler', workflowId: ids.cancel });
      await mf.workflow.start({ taskQueue: 'cli', workflowName: 'idler', workflowId: ids.terminate });
      const failing = await mf.workflow.start({ taskQueue: 'cli', workflowName: 'checkout', workflowId: ids.retry, args: [4200] });
      await expect(failing.result()).rejects.toThrow('card declined');
      await untilWaiting(db, ids.cancel, 'never');
      await untilWaiting(db, ids.terminate, 'never');
      await untilWaiting(db, ids.greet, 'go');
    });

    const hooked = await session.hotmesh('hook', ids.greet, 'cli', 'tagger', '--args', '["t1"]', '--json');
    expect(hooked.code, hooked.stderr).toBe(0);
    expect(hooked.json()).toEqual({ workflowId: ids.greet, thread: expect.stringMatching(/^hook-/) });
    const signalled = await session.hotmesh('signal', ids.greet, 'go', '{"ok":true}');
    expect(signalled.code, signalled.stderr).toBe(0);
    expect(signalled.stdout).toBe(`signal 'go' sent to ${ids.greet}\n`);

    const cancelled = await session.hotmesh('cancel', ids.cancel, '--reason', 'customer left', '--json');
    expect(cancelled.code, cancelled.stderr).toBe(0);
    expect(cancelled.json()).toEqual({ workflowId: ids.cancel, action: 'cancel' });
    const terminated = await session.hotmesh('terminate', ids.terminate, '--reason', 'stuck');
    expect(terminated.code, terminated.stderr).toBe(0);
    expect(terminated.stdout).toBe(`terminated ${ids.terminate}\n`);
    const refused = await session.hotmesh('resume', ids.terminate);
    expect(refused.code).toBe(1);
    expect(errorLines(refused)).toEqual([`hotmesh: Cannot resume workflow ${ids.terminate}: it is terminated (resume applies to parked workflows)`]);
    chargeFixed = true; // the fix is deployed
    const retried = await session.hotmesh('retry', ids.retry, '--json');
    expect(retried.code, retried.stderr).toBe(0);
    expect(retried.json()).toEqual({ workflowId: ids.retry, action: 'retry' });
    const forked = await session.hotmesh('fork', ids.retry, '--from', '1', '--id', ids.fork, '--json');
    expect(forked.code, forked.stderr).toBe(0);
    expect(forked.json()).toEqual({ workflowId: ids.fork, forkedFrom: ids.retry });

    await session.serve(async (mf) => {
      const handleOf = (id: string) => mf.workflow.getHandle('cli', 'idler', id);
      expect(await (await handleOf(ids.greet)).result()).toEqual({ name: 'Ann', data: { ok: true } });
      expect(await (await handleOf(ids.cancel)).result()).toBe('cancelled: customer left');
      await expect((await handleOf(ids.terminate)).result()).rejects.toBeInstanceOf(WorkflowFailedError);
      expect(await (await handleOf(ids.retry)).result()).toEqual({ charged: 4200 });
      expect(await (await handleOf(ids.fork)).result()).toEqual({ charged: 4200 });
      const ctx = await mf.workflow.context(ids.greet);
      for (let i = 0; i < 400 && (await ctx.get('hooked')) !== 't1'; i++) await new Promise((r) => setTimeout(r, 50));
      expect(await ctx.get()).toEqual({ greeting: 'hello Ann', hooked: 't1' });
    });

    const statuses = await session.hotmesh('list', '--id-prefix', `${base}-`, '--json');
    expect(statuses.code, statuses.stderr).toBe(0);
    expect(Object.fromEntries(statuses.json().items.map((i: { workflowId: string; status: string }) => [i.workflowId, i.status]))).toEqual({
      [ids.greet]: 'completed',
      [ids.cancel]: 'completed', // it caught the CancelledError and returned
      [ids.terminate]: 'terminated',
      [ids.retry]: 'completed',
      [ids.fork]: 'completed',
    });
    // a field named __proto__ is a field: an assignment to it set nothing, and every job was listed
    const proto = await session.hotmesh('list', '--id-prefix', `${base}-`, '--search', '__proto__=1', '--json');
    expect(proto.code, proto.stderr).toBe(0);
    expect(proto.json().items).toEqual([]);
    const table = await session.hotmesh('list', '--id-prefix', `${base}-`, '--status', 'terminated');
    expect(table.stdout.trimEnd().split('\n')).toEqual([
      expect.stringMatching(/^WORKFLOW ID\s+WORKFLOW\s+TASK QUEUE\s+STATUS\s+CREATED\s+UPDATED$/),
      expect.stringMatching(new RegExp(`^${ids.terminate}\\s+idler\\s+cli\\s+terminated\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\s+\\d{4}-`)),
    ]);

    const log = await session.hotmesh('context', 'log', ids.greet);
    expect(log.code, log.stderr).toBe(0);
    const lines = log.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^VERSION\s+OP\s+PATH\s+ARG\s+ACTOR\s+AT$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 2).join(' '))).toEqual(['1 set', '2 merge']);
    const at = await session.hotmesh('context', 'at', ids.greet, '1', '--json');
    expect(at.json()).toEqual({ greeting: 'hello Ann' });

    const file = path.join(session.root, 'export.json');
    const history = await session.hotmesh('history', ids.greet, '--json');
    const exported = await session.hotmesh('export', ids.greet, '-o', file, '--json');
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.json()).toEqual({ workflowId: ids.greet, file, entries: history.json().length });
    const written = JSON.parse(fs.readFileSync(file, 'utf8'));
    expect(written).toMatchObject({ workflowId: ids.greet, workflowName: 'greeter', taskQueue: 'cli', args: ['Ann'], entries: history.json() });
    expect(written.export.state.data.done).toBe(true);
    // a file in a directory that does not exist, or a directory: a usage error naming it (was a raw ENOENT)
    const noDir = path.join(session.root, 'no-such-dir', 'export.json');
    const outsideDir = await session.hotmesh('export', ids.greet, '-o', noDir);
    expect(outsideDir.code).toBe(2);
    expect(outsideDir.stderr).toContain(`Invalid --output: the directory ${path.dirname(noDir)} does not exist`);
    expect(fs.existsSync(path.dirname(noDir))).toBe(false);
    const intoDir = await session.hotmesh('export', ids.greet, '-o', session.root);
    expect(intoDir.code).toBe(2);
    expect(intoDir.stderr).toContain('is a directory');

    // the export replays against the code that wrote it, and names the first call of code that diverges
    const index = pathToFileURL(path.join(path.dirname(path.dirname(bin)), 'index.js')).href; // the package the bin belongs to
    const code = (name: string, body: string) => {
      const module = path.join(session.root, `${name}.mjs`);
      fs.writeFileSync(module, `import { MemFlow } from ${JSON.stringify(index)};\n${body}\n`);
      return module;
    };
    const same = code('same', `export async function greeter(name) {
  const ctx = await MemFlow.workflow.context();
  await ctx.set({ greeting: 'hello ' + name });
  const data = await MemFlow.workflow.waitFor('go');
  return { name, data };
}`);
    const changed = code('changed', `export async function greeter(name) {
  await MemFlow.workflow.sleepFor('1 second');
  return name;
}`);
    const [compatible, diverging, divergingJson, missing] = await Promise.all([
      runCli(['replay', file, '--module', same, '--export', 'greeter', '--json']),
      runCli(['replay', file, '--module', changed, '--export', 'greeter']),
      runCli(['replay', file, '--module', changed, '--export', 'greeter', '--json']),
      runCli(['replay', file, '--module', same, '--export', 'greet']),
    ]);
    expect(compatible.code, compatible.stderr).toBe(0);
    expect(compatible.json()).toEqual({ compatible: true, file, workflow: `${same}#greeter` });
    expect(diverging.code).toBe(1);
    expect(diverging.stdout).toBe('');
    expect(errorLines(diverging)).toEqual([
      `hotmesh: ${changed}#greeter diverges from ${file} at seq 1 (thread main): the history recorded context('set'), the code now calls sleep('1 second')`,
    ]);
    expect(divergingJson.code).toBe(1);
    expect(divergingJson.json()).toEqual({
      compatible: false,
      file,
      workflow: `${changed}#greeter`,
      divergence: { thread: 'main', seq: 1, recorded: "context('set')", attempted: "sleep('1 second')", message: expect.stringContaining('seq 1') },
    });
    expect(missing.code).toBe(2);
    expect(errorLines(missing)).toEqual([`hotmesh: Invalid --export: ${same} has no exported function 'greet' (its exported functions: greeter)`]);

    const described = await session.hotmesh('describe', ids.greet);
    expect(described.code, described.stderr).toBe(0);
    expect(described.stdout).toMatch(/^status:\s+completed$/m);
    expect(described.stdout).toMatch(/^hooks:\nTHREAD\s+WORKFLOW\s+TASK QUEUE\s+STATUS\s+CREATED\s+COMPLETED\nhook-\S+\s+tagger\s+cli\s+/m);
  }, 300_000);

  it('exits 3 for an unknown app (naming the apps there are), 1 for a signal to a finished job', async () => {
    const [app, late] = await Promise.all([
      runCli(['--app', `${appId}-missing`, ...session.where, 'context', 'get', ids.greet]),
      session.hotmesh('signal', ids.greet, 'go', '1'),
    ]);
    expect(app.code).toBe(3);
    expect(errorLines(app)).toEqual([
      expect.stringMatching(new RegExp(`^hotmesh: No app '${appId}-missing' in this database \\(its apps: .*\\)\\. Start a worker or run \`hotmesh migrate --app ${appId}-missing\` to create it\\.$`)),
    ]);
    expect(late.code).toBe(1);
    expect(errorLines(late)).toEqual([expect.stringMatching(new RegExp(`^hotmesh: Job ${ids.greet} has finished and none of its threads is running`))]);
  }, 60_000);
});
