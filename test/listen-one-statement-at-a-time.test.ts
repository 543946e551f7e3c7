/**
 * The LISTEN connection sends one statement at a time (a black-box pass: with several apps on one
 * PostgreSQL connection, their UNLISTENs went at once at shutdown, and pg printed its deprecation
 * of queueing a query on a busy client, which pg 9 removes). PostgreSQL only: PGlite has no LISTEN
 * connection (vitest.config.ts).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { MemFlow } from '../src/index.js';
import { testConnection, uniqueAppId } from './support/backend.js';

export async function listened(): Promise<string> {
  return 'ok';
}

describe('the LISTEN connection', () => {
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
  process.on('warning', onWarning);
  afterAll(() => {
    process.off('warning', onWarning);
  });

  it('listens and unlistens for several apps at once without queueing on a busy client', async () => {
    const apps = await Promise.all(
      Array.from({ length: 4 }, (_, i) => MemFlow.init({ appId: uniqueAppId(`listen${i}`), engine: { connection: testConnection() } })),
    );
    await Promise.all(apps.map((mf) => mf.worker.create({ taskQueue: 'listen', workflow: listened })));
    const results = await Promise.all(apps.map(async (mf) => (await mf.workflow.start({ taskQueue: 'listen', workflowName: 'listened' })).result()));
    expect(results).toEqual(['ok', 'ok', 'ok', 'ok']);
    await MemFlow.shutdown();
    await new Promise((r) => setTimeout(r, 100)); // a warning is emitted on the next tick
    expect(warnings.filter((w) => w.includes('already executing a query'))).toEqual([]);
  });
});
