/**
 * README "Guarantees": "Once `start`, `signal`, `hook` or a context op returns, it survives `kill -9`
 * of any process". Here for `signal`, with real processes and SIGKILL (test/fault/signal-process.ts):
 *
 *   A starts a job that waits for a job signal and an app-wide signal, and is killed while it waits;
 *   S, serving nothing, sends both signals and is killed as soon as the calls returned;
 *   B serves the workflow and gets its result.
 *
 * No worker runs between A's death and B's start, so the signals can only reach the workflow through
 * what S committed before it was killed. On PGlite each process opens the data directory after the
 * previous one died (taking over its stale lock): the signals survive a crash of the process that holds
 * the embedded database itself.
 */
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { backend, POSTGRES_URL } from './support/backend.js';
import { type Child, killChildren, resultOf, sigkill, spawnChild } from './fault/support/child-process.js';
import { Scratch } from './fault/support/scratch.js';
import type { SignalFaultConfig } from './fault/signal-process.js';

const SCRIPT = new URL('./fault/signal-process.ts', import.meta.url).pathname;
const scratch = new Scratch();

afterEach(killChildren);
afterAll(() => scratch.cleanup());

describe(`a signal survives kill -9 (${backend})`, () => {
  it('signals sent by a process SIGKILLed right after they returned reach the workflow', async () => {
    const dir = scratch.dir('signal-kill');
    const base: Omit<SignalFaultConfig, 'mode'> = {
      backend,
      appId: scratch.appId('signal-kill'),
      workflowId: `signal-kill-${path.basename(dir).slice(-6)}`,
      url: backend === 'postgres' ? POSTGRES_URL : undefined,
      dataDir: backend === 'pglite' ? path.join(dir, 'data') : undefined,
    };
    const spawn = (mode: SignalFaultConfig['mode']): Child =>
      spawnChild(SCRIPT, { ...base, mode }, { label: mode, failOn: 'ERROR', env: { HOTMESH_TEST_BACKEND: backend } });

    const a = spawn('start');
    await a.waitFor('WAITING', 40_000);
    await sigkill(a);

    const s = spawn('signal');
    await s.waitFor('SIGNALED', 40_000);
    await sigkill(s);

    const b = spawn('finish');
    expect(await resultOf(b)).toEqual({ approved: { by: s.proc.pid }, release: { by: s.proc.pid } });
  }, 120_000);
});
