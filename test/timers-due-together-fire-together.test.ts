/**
 * Sleeps of several jobs that come due a few milliseconds apart each wake when due. The loop's due
 * timer knew only the earliest; the next due time it then asked for leaves out a task that came due
 * meanwhile; so on PGlite (whose idle poll is a second) 3 of 4 one-second sleeps started 7 ms apart
 * woke after about 2 s (found by a review). Each workflow measures its own sleep; the check reads the
 * gaps against the earliest, so a machine that slows every run alike does not fail it.
 */
import { MemFlow, type MemFlowInstance } from 'hotmesh';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConnection, uniqueAppId } from './support/backend.js';

const { napStamp } = MemFlow.workflow.proxyActivities({
  activities: {
    async napStamp() {
      return Date.now();
    },
  },
});

export async function napOneSecond(): Promise<number> {
  const before = await napStamp();
  await MemFlow.workflow.sleepFor('1 second');
  return (await napStamp()) - before;
}

describe('sleeps of several jobs due together', () => {
  let mf: MemFlowInstance;
  beforeAll(async () => {
    mf = await MemFlow.init({ appId: uniqueAppId('due-together'), engine: { connection: testConnection() }, logLevel: 'error' });
    await mf.worker.create({ taskQueue: 'due-together', workflow: napOneSecond });
  });
  afterAll(() => mf.shutdown());

  it('each wakes when it is due, not at the next idle poll', async () => {
    for (let round = 0; round < 2; round++) {
      const gaps = await Promise.all(
        Array.from({ length: 6 }, async (_, i) => {
          await new Promise((r) => setTimeout(r, i * 7));
          return (await mf.workflow.start({ taskQueue: 'due-together', workflowName: 'napOneSecond' })).result() as Promise<number>;
        }),
      );
      const sorted = [...gaps].sort((a, b) => a - b);
      // the due time is on the database clock, estimated from the claim's answer (it can lag this
      // process's clock by that answer's latency): a few ms early counts as on time
      for (const gap of gaps) expect(gap, `gaps ${gaps.join(', ')} ms`).toBeGreaterThanOrEqual(900);
      // late ones woke at the idle poll, a second after the first (on PGlite: 1.15 s, then 2.03 s for
      // the rest). Read against the first waker, so a loaded machine that slows every run alike (the
      // suite saw 1.38-1.60 s) does not count: the median wakes within 600 ms of the earliest
      expect(sorted[3] - sorted[0], `gaps ${gaps.join(', ')} ms`).toBeLessThan(600);
      expect(sorted[5], `gaps ${gaps.join(', ')} ms`).toBeLessThan(5000);
    }
  }, 60_000);
});
