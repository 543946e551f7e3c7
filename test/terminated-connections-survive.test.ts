/**
 * A terminated database session never takes the worker process down (PostgreSQL only, by
 * configuration: it terminates the engine's sessions). A chaos run once saw a worker crash that
 * nothing explained; the audit of every pg.Client / pg.Pool the engine makes (storage/postgres) found
 * one unguarded path: pg-pool takes its 'error' listener off a client while it is checked out, so a
 * connection that failed between two statements of a transaction emitted 'error' with no listener,
 * which ends the process. Idle pooled connections and the LISTEN connection had listeners, but an idle
 * one's loss was not logged. Here: idle pooled connections, the LISTEN connection, and a transaction's
 * connection between its statements are terminated; the process lives on, says so, and works.
 */
import { MemFlow, type MemFlowInstance } from 'hotmesh';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schemaForApp } from '../src/storage/sql-identifier.js';
import { eventually, POSTGRES_URL, testConnection, uniqueAppId } from './support/backend.js';

interface Entry {
  level: string;
  msg?: string;
}
const entries: Entry[] = [];
const at = (level: string) => (_obj: object, msg?: string) => entries.push({ level, msg });
const logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
const logged = (level: string, start: string) => entries.some((e) => e.level === level && e.msg?.startsWith(start));

export async function echo(x: string) {
  return x;
}

describe('terminated database sessions', () => {
  let mf: MemFlowInstance;
  let admin: pg.Client;
  beforeAll(async () => {
    mf = await MemFlow.init({ appId: uniqueAppId('terminated'), engine: { connection: testConnection() }, logger });
    await mf.worker.create({ taskQueue: 'pg-terminate', workflow: echo });
    admin = new pg.Client({ connectionString: POSTGRES_URL });
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.end();
    await mf?.shutdown();
  });

  async function runsAWorkflow(arg: string): Promise<void> {
    const handle = await mf.workflow.start({ taskQueue: 'pg-terminate', workflowName: 'echo', args: [arg] });
    expect(await handle.result()).toBe(arg);
  }

  it('idle pooled connections and the LISTEN connection: logged, replaced, the worker goes on', async () => {
    await runsAWorkflow('before');
    // only this app's sessions (their last statement names its schema): the other test files share the database
    const schema = schemaForApp(mf.appId);
    const terminate = (where: string) =>
      admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE ${where} AND query LIKE $1 AND pid <> pg_backend_pid()`, [`%${schema}%`]);
    await eventually(async () => (await terminate(`application_name = 'hotmesh' AND state = 'idle'`)).rows.length > 0);
    await eventually(async () => (await terminate(`application_name = 'hotmesh-listen'`)).rows.length > 0);
    await eventually(async () => logged('warn', 'database connection lost outside a statement'));
    await eventually(async () => logged('warn', 'database notifications lost'));
    await runsAWorkflow('after');
  });

  it("a transaction's connection terminated between two statements: the transaction fails, the process lives", async () => {
    const engine = await mf.client.engine(mf.appId);
    const before = entries.filter((e) => e.msg?.startsWith('database connection lost outside a statement')).length;
    const failed = await engine.driver
      .transaction(async (tx) => {
        const { rows } = await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
        await admin.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
        await new Promise((r) => setTimeout(r, 300)); // no statement running: the client's 'error' event
        await tx.query('SELECT 1');
      })
      .then(
        () => false,
        () => true,
      );
    expect(failed).toBe(true);
    await eventually(async () => entries.filter((e) => e.msg?.startsWith('database connection lost outside a statement')).length > before);
    await runsAWorkflow('still alive');
  });
});
