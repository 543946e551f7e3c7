/**
 * A worker paused past its lease (SIGSTOP), taken over by another process, then resumed (SIGCONT):
 * the stale run must not make any new call. PostgreSQL only (two processes on one database).
 *
 * Worker A runs six steps in a row (worker-process.ts, scenario 'steps'). The test holds back A's
 * journal write of step p3: it has inserted the same journal key in a transaction it keeps open, so
 * A's insert waits on it. A is stopped while it waits, then the test rolls back: A's write commits on
 * the server, while A, stopped, has not read the reply. A's lease (2 s) runs out; worker B claims the
 * job, replays p1-p3 from the journal and runs p4-p6. Then A is resumed: it reads the reply that p3
 * committed and the workflow asks for p4.
 *
 * Before the fix, A ran p4 (a second execution of a step B had already run): nothing had told the run
 * its lease was gone; the fence refused only p4's result. Now the run checks its lease before each
 * call: past its confirmed end by A's own clock, it asks the database, finds the task is B's, and stops.
 *
 * Every activity execution is in an fsynced log (start and end lines, with the pid).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { MemFlow } from '../../src/index.js';
import { schemaForApp } from '../../src/storage/sql-identifier.js';
import { eventually, POSTGRES_URL, testConnection, uniqueAppId } from '../support/backend.js';
import { killChildren, spawnChild } from './support/child-process.js';
import { readLog } from './support/execution-log.js';
import type { ExecutionRecord, FaultConfig } from './worker-process.js';

const SCRIPT = new URL('./worker-process.ts', import.meta.url).pathname;
const spawnWorker = (config: FaultConfig) =>
  spawnChild(SCRIPT, config, { label: `${config.mode}/${config.scenario}`, env: { HOTMESH_TEST_BACKEND: config.backend } });

const LEASE_SECONDS = 2;

describe('a worker paused past its lease and resumed', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hotmesh-paused-'));
  const appId = uniqueAppId('paused');
  const schema = schemaForApp(appId);
  let db: pg.Client;
  let blocker: pg.Client;

  afterEach(() => killChildren());
  afterAll(async () => {
    fs.rmSync(dir, { recursive: true, force: true });
    await blocker?.end().catch(() => {});
    if (db) {
      await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await db.end();
    }
  });

  it('makes no call after its lease was lost: the next step runs once, in the worker that took over', async () => {
    const base: Omit<FaultConfig, 'mode'> = {
      scenario: 'steps',
      appId,
      backend: 'postgres',
      url: POSTGRES_URL,
      workflowId: `paused-${path.basename(dir).slice(-6)}`,
      logFile: path.join(dir, 'executions.jsonl'),
      leaseSeconds: LEASE_SECONDS,
    };
    db = new pg.Client({ connectionString: POSTGRES_URL });
    blocker = new pg.Client({ connectionString: POSTGRES_URL });
    await db.connect();
    await blocker.connect();

    // the app's schema first (migrated by an instance of the test's own), so that the key of p3 is
    // taken before A exists
    const setup = await MemFlow.init({ appId, engine: { connection: testConnection() } });
    await setup.shutdown();
    await blocker.query('BEGIN');
    await blocker.query(
      `INSERT INTO "${schema}".journal (job_id, thread, seq, kind, name, status) VALUES ($1, 'main', 3, 'activity', 'step', 'retry')`,
      [base.workflowId],
    );
    const a = spawnWorker({ ...base, mode: 'start' });
    expect(await a.waitFor('STARTED ')).toBe(base.workflowId);

    // A's journal write of p3 waits on the test's row
    await eventually(async () => {
      const res = await db.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE $1`,
        [`%"${schema}".journal_append%`],
      );
      return res.rows[0].n === 1;
    }, 20_000, 10);
    expect(a.proc.kill('SIGSTOP')).toBe(true);
    const stoppedAt = Date.now();
    await blocker.query('ROLLBACK'); // A's write of p3 commits now, on the server; A is stopped
    await eventually(async () => {
      const res = await db.query(`SELECT status FROM "${schema}".journal WHERE job_id = $1 AND thread = 'main' AND seq = 3`, [base.workflowId]);
      return res.rows[0]?.status === 'done';
    }, 5_000, 10);

    // B takes the job over when A's lease runs out, and finishes it
    const b = spawnWorker({ ...base, mode: 'resume' });
    const result = JSON.parse(await b.waitFor('RESULT ', 30_000));
    expect(result).toEqual(['p1:done', 'p2:done', 'p3:done', 'p4:done', 'p5:done', 'p6:done']);
    expect((await b.exited).code).toBe(0);

    // A wakes up, reads that p3 committed, and its workflow asks for p4
    expect(a.proc.kill('SIGCONT')).toBe(true);
    await new Promise((r) => setTimeout(r, 3_000));
    expect(a.proc.exitCode, `A crashed: ${a.stderr.join('\n')}`).toBeNull();

    const log = readLog<ExecutionRecord>(base.logFile);
    const byA = log.filter((r) => r.pid === a.proc.pid);
    const byB = log.filter((r) => r.pid === b.proc.pid);
    // A ran p1-p3 before it was stopped, and nothing after: no activity started once its lease was lost
    expect(byA.filter((r) => r.ev === 'start').map((r) => r.arg)).toEqual(['p1', 'p2', 'p3']);
    expect(byA.filter((r) => r.at > stoppedAt)).toEqual([]);
    // B replayed p1-p3 (committed) and ran p4-p6, each once
    expect(byB.filter((r) => r.ev === 'start').map((r) => r.arg)).toEqual(['p4', 'p5', 'p6']);
    for (const arg of ['p1', 'p2', 'p3', 'p4', 'p5', 'p6']) {
      expect(log.filter((r) => r.ev === 'start' && r.arg === arg), arg).toHaveLength(1);
    }
  }, 90_000);
});
