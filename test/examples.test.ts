/** The README's other samples (examples/*.ts), run on both backends. */
import { MemFlow, type MemFlowInstance } from 'hotmesh';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEstablished } from '../examples/established-api.js';
import { initWithPino } from '../examples/logging.js';
import { runMemoryFromOutside } from '../examples/memory-from-outside.js';
import { runOperating } from '../examples/operating.js';
import { backend, POSTGRES_URL, testConnection, uniqueAppId } from './support/backend.js';

describe('examples', () => {
  let mf: MemFlowInstance;
  beforeAll(async () => {
    mf = await MemFlow.init({ appId: uniqueAppId('examples'), engine: { connection: testConnection() } });
  });
  afterAll(() => MemFlow.shutdown());

  it('runs the established Client/Worker form', async () => {
    expect(await runEstablished(testConnection())).toEqual({ greeting: 'Hello, Ada!', approved: true });
  });

  it('operates workflows: list, describe, cancel with cleanup, retry after a fix, history, replay, fork (examples/operating.ts)', async () => {
    expect(await runOperating(mf)).toEqual({
      listed: ['order-b', 'order-a'],
      waitingFor: ['confirmed'],
      cancelled: { item: 'lamp', cancelled: true, cleanup: 'released reservation for lamp' },
      failure: 'payment provider down',
      retried: { item: 'desk', receipt: 'charged desk' },
      forked: { item: 'desk', receipt: 'charged desk' },
      steps: 3,
    });
  });

  it('reads, changes and hooks into the memory of a finished workflow, with its history', async () => {
    const out = await runMemoryFromOutside(mf);
    expect(out.context).toEqual({
      userId: 'u-42',
      visits: 6,
      tags: ['vip'],
      isPremium: true,
      plan: { tier: 'gold' },
      flags: { reviewed: true },
    });
    expect(out.changes[0]).toMatch(/^1 set {2}by main$/);
    expect(out.changes).toContain('3 increment visits by client');
    expect(out.changes.some((c) => /append tags by hook-/.test(c))).toBe(true);
    expect(out.atVersion2).toEqual({ userId: 'u-42', visits: 1, tags: [] });
  });

  it('starts an instance that logs through pino (examples/logging.ts)', async () => {
    if (backend === 'postgres') process.env.DATABASE_URL = POSTGRES_URL;
    else {
      delete process.env.DATABASE_URL;
      process.env.HOTMESH_DATA_DIR = 'memory://';
    }
    const withPino = await initWithPino();
    expect(withPino.appId).toBe('my-app');
    await withPino.shutdown();
  });
});
