/**
 * The `hotmesh` CLI as a user runs it (the compiled bin, a subprocess), on the project's backend:
 * PostgreSQL through `--url`, or a PGlite data directory through `--data-dir`. A worker in the test
 * process serves the workflow between CLI runs (support/cli-session.ts).
 *
 * The session: migrate, start, list, describe, read and change the context, signal, history; and an
 * unknown id. Each PGlite run opens the directory (seconds under load), so this file keeps to what
 * differs by backend; the other commands' wiring is cli-operations.test.ts (PostgreSQL), the
 * refusals cli-errors.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemFlow } from '../src/index.js';
import { MIGRATIONS } from '../src/storage/migrate.js';
import { backend } from './support/backend.js';
import { errorLines } from './support/cli.js';
import { CliSession } from './support/cli-session.js';
import { untilWaiting } from './support/job-state.js';

export async function greeter(name: string) {
  const ctx = await MemFlow.workflow.context();
  await ctx.set({ greeting: `hello ${name}` });
  const data = await MemFlow.workflow.waitFor<{ ok: boolean }>('go');
  return { name, data };
}

const label = (m: { version: number; name: string }) => `${String(m.version).padStart(4, '0')}_${m.name}`;

describe(`hotmesh CLI session (${backend})`, () => {
  const session = new CliSession('cli', [greeter]);
  const { appId } = session;
  const workflowId = `greet-${appId}`;
  beforeAll(() => session.bin(), 120_000);
  afterAll(() => session.close());

  it('migrates, starts, lists, describes, reads and changes the context, signals, and reads the history', async () => {
    const migrated = await session.hotmesh('migrate', '--json');
    expect(migrated.code, migrated.stderr).toBe(0);
    expect(migrated.json()).toEqual({ appId, schema: appId.replace(/-/g, '_'), applied: MIGRATIONS.map(label), pending: [] });

    const started = await session.hotmesh('start', 'cli', 'greeter', '--args', '["Ann"]', '--id', workflowId, '--json');
    expect(started.code, started.stderr).toBe(0);
    expect(started.json()).toEqual({ workflowId });

    await session.serve(async (mf) => untilWaiting(await mf.client.engine(appId), workflowId, 'go'));

    const listed = await session.hotmesh('list', '--workflow', 'greeter', '--status', 'waiting,running', '--json');
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.json()).toMatchObject({ items: [{ workflowId, workflowName: 'greeter', taskQueue: 'cli', status: 'waiting' }], nextCursor: null });

    const described = await session.hotmesh('describe', workflowId, '--json');
    expect(described.code, described.stderr).toBe(0);
    const description = described.json();
    expect(description).toMatchObject({ workflowId, status: 'waiting', attempt: 1, error: null, contextVersion: 1 });
    expect(description.waitingFor.signals.map((s: { signalId: string }) => s.signalId)).toEqual(['go']);

    // readable mode: the context is printed as JSON whatever the mode
    const context = await session.hotmesh('context', 'get', workflowId);
    expect(context.code, context.stderr).toBe(0);
    expect(JSON.parse(context.stdout)).toEqual({ greeting: 'hello Ann' });

    const incremented = await session.hotmesh('context', 'increment', workflowId, 'visits', '2', '--json');
    expect(incremented.code, incremented.stderr).toBe(0);
    expect(incremented.json()).toBe(2);

    const signalled = await session.hotmesh('signal', workflowId, 'go', '{"ok":true}', '--json');
    expect(signalled.code, signalled.stderr).toBe(0);
    expect(signalled.json()).toEqual({ workflowId, signalId: 'go' });

    await session.serve(async (mf) => {
      expect(await (await mf.workflow.getHandle('cli', 'greeter', workflowId)).result()).toEqual({ name: 'Ann', data: { ok: true } });
      expect(await (await mf.workflow.context(workflowId)).get()).toEqual({ greeting: 'hello Ann', visits: 2 });
    });

    const history = await session.hotmesh('history', workflowId, '--json');
    expect(history.code, history.stderr).toBe(0);
    expect(history.json().map((e: { thread: string; seq: number; kind: string; status: string }) => `${e.thread}#${e.seq} ${e.kind}:${e.status}`)).toEqual([
      'main#1 context:done',
      'main#2 wait:done',
    ]);
    expect(history.json()[1].result).toEqual({ ok: true });

    const unknown = await session.hotmesh('describe', 'no-such-job');
    expect(unknown.code).toBe(3);
    expect(errorLines(unknown)).toEqual(['hotmesh: no-such-job Not Found']);
    expect(unknown.stdout).toBe('');
  }, 300_000);
});
