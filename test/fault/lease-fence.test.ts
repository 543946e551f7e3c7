/**
 * A worker that lost its lease writes nothing: its run stops (the lease guard) or its write is fenced
 * off (`lease_held`, migrations 0012 and 0016).
 *
 * A (a real process) runs the job's activity and is frozen with SIGSTOP inside it: its heartbeat
 * stops, its 2 s lease runs out, and B takes the task over and runs the activity again (activities
 * are at-least-once before their result commits). B's attempt is held open. A is thawed and its
 * attempt returns first: its journal write must be fenced off (0 rows), so the result that commits is
 * B's, the lease holder's. Without the fence A's stale result would commit, and B, finding the seq
 * taken, would give up its run.
 *
 * Each process reports its journal writes (`APPENDED <rows>`, see fence-process.ts), so the test
 * waits for A's write attempt instead of sleeping. PostgreSQL only: two processes on one database.
 */
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { MemFlow } from '../../src/index.js';
import { POSTGRES_URL, testConnection } from '../support/backend.js';
import type { FenceConfig } from './fence-process.js';
import { type Child, killChildren, spawnChild } from './support/child-process.js';
import { Scratch } from './support/scratch.js';

const SCRIPT = new URL('./fence-process.ts', import.meta.url).pathname;
const scratch = new Scratch();

afterEach(killChildren);
afterAll(() => scratch.cleanup());

describe('the lease fence', () => {
  it('a worker frozen past its lease cannot journal its stale result; the new holder\'s commits', async () => {
    const dir = scratch.dir('fence');
    const base = { backend: 'postgres' as const, url: POSTGRES_URL, appId: scratch.appId('fence'), workflowId: `fence-${path.basename(dir).slice(-6)}` };
    const spawn = (mode: FenceConfig['mode']): Child =>
      spawnChild(SCRIPT, { ...base, mode }, { label: mode, failOn: 'ERROR', env: { HOTMESH_TEST_BACKEND: 'postgres' } });

    const a = spawn('start');
    expect(await a.waitFor('RUNNING ')).toBe(String(a.proc.pid));
    const b = spawn('standby');
    await b.waitFor('READY');
    expect(a.proc.kill('SIGSTOP')).toBe(true); // no heartbeat from here on: the lease runs out

    // B claims the expired task and runs the activity again
    expect(await b.waitFor('RUNNING ', 30_000)).toBe(String(b.proc.pid));

    expect(a.proc.kill('SIGCONT')).toBe(true);
    a.send('release');
    // A writes nothing that commits: its run learns the lease is gone (the lease guard: its own clock
    // is past the lease, so it asks the database before writing) and stops, or, had it not asked, the
    // fence in SQL refuses the write (0 rows). lease-fence-serialises-with-claims.test.ts drives the
    // second path alone; this one holds the end-to-end promise whichever path stops A.
    const stopped = await Promise.race([
      a.waitFor('APPENDED ').then((rows) => `appended ${rows}`),
      new Promise<string>((resolve) => {
        const check = setInterval(() => {
          if (a.stderr.some((l) => l.includes('lease lost'))) {
            clearInterval(check);
            resolve('stopped by the lease guard');
          }
        }, 20);
      }),
    ]);
    expect(['appended 0', 'stopped by the lease guard']).toContain(stopped);

    b.send('release');
    expect(await b.waitFor('APPENDED ')).toBe('1');
    const mf = await MemFlow.init({ appId: base.appId, engine: { connection: testConnection() } });
    try {
      const handle = await mf.workflow.getHandle('fence', 'fenced', base.workflowId);
      expect(await handle.result()).toEqual({ by: b.proc.pid });
    } finally {
      await mf.shutdown();
    }
  }, 90_000);
});
