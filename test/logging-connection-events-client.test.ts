/**
 * Connection trouble of a process that runs no worker (a client, a dashboard: `npx hotmesh dashboard`)
 * is logged too: the LISTEN connection lost (warn) and regained (info), once each, with the app. Only
 * the task loop logged it before, so such a process said nothing (its result() waiters polled).
 * PostgreSQL only, by configuration (it terminates the engine's LISTEN session).
 */
import { MemFlow, type MemFlowInstance } from 'hotmesh';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schemaForApp } from '../src/storage/sql-identifier.js';
import { captureLogs } from './support/log-capture.js';
import { eventually, POSTGRES_URL, testConnection, uniqueAppId } from './support/backend.js';

const { entries, logger } = captureLogs();

describe('logged connection trouble, no worker in the process', () => {
  let mf: MemFlowInstance;
  let admin: pg.Client;
  beforeAll(async () => {
    mf = await MemFlow.init({ appId: uniqueAppId('log-client'), engine: { connection: testConnection() }, logger });
    await mf.client.engine(mf.appId); // a client's engine, open and listening, as a dashboard's is
    admin = new pg.Client({ connectionString: POSTGRES_URL });
    await admin.connect();
  });
  afterAll(async () => {
    await admin.end();
    await mf.shutdown();
  });

  it('logs the LISTEN connection lost at warn and regained at info, once each, naming the app', async () => {
    const killed = await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'hotmesh-listen' AND query LIKE $1`, [
      `%${schemaForApp(mf.appId)}%`,
    ]);
    expect(killed.rowCount).toBeGreaterThan(0);
    const regained = await eventually(async () => entries.find((e) => e.msg?.startsWith('database notifications regained')), 20_000);
    expect(regained.level).toBe('info');
    expect(regained.obj.appId).toBe(mf.appId);
    const lost = entries.filter((e) => e.msg?.startsWith('database notifications lost'));
    expect(lost).toHaveLength(1);
    expect(lost[0]!.level).toBe('warn');
    expect(lost[0]!.obj.appId).toBe(mf.appId);
    expect(entries.filter((e) => e.msg?.startsWith('database notifications regained'))).toHaveLength(1);
  }, 30_000);
});
