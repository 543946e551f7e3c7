/**
 * A worker that shuts down gives its unfinished tasks back runnable at once (README "Guarantees"), and
 * tells the app's channel, so that the other workers serving the topic claim them at once.
 *
 * Before: the give-back was a plain UPDATE. A worker of another process that was idle had backed off
 * to its 2 s poll and found the task up to 2 s later (a black-box run measured 0.4-1.7 s).
 *
 * Two instances of one app (A and B) on one database; on PGlite, one in-memory database in this
 * process. A runs a step that hangs; A shuts down with a short grace. B must start the step again
 * well before its next poll would have found it, in each of three rounds.
 *
 * B's loop polls at most every 8 s (maxPollMs), and has been idle IDLE_MS when A shuts down, so its
 * next poll is seconds away: after its last claim it polls at 0.05, 0.15, ... 3.15, 6.35, 12.75 s
 * on PostgreSQL and at 1, 3, 7, 15 s on PGlite, so at 7.5-9 s of idle (the wait, plus the round's
 * start and A's shutdown) the next poll is 3.7 s away or more. The bound, 2 s, is generous for the
 * wake-up (NOTIFY, B's claim, its replay, the step's start: well under a second unloaded) and a poll
 * alone still lands under it only when a round's start takes seconds, in all three rounds at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemFlow, type MemFlowInstance } from '../src/index.js';
import { testConnection, uniqueAppId } from './support/backend.js';

let phase: 'A' | 'B' = 'A';
const starts: Array<{ tag: string; phase: 'A' | 'B'; at: number }> = [];

const acts = MemFlow.workflow.proxyActivities({
  activities: {
    async wakeStep(tag: string): Promise<string> {
      const mine = phase;
      starts.push({ tag, phase: mine, at: Date.now() });
      // A's attempt hangs (its run is given back at shutdown); B's returns at once
      if (mine === 'A') await new Promise((r) => setTimeout(r, 8_000));
      return `${tag}:${mine}`;
    },
  },
});

export async function wakeWork(tag: string): Promise<string> {
  return acts.wakeStep(tag);
}

/** B's idle polling ceiling: its polls back off to seconds apart. */
const B_MAX_POLL_MS = 8_000;
/** How long B is left idle before A shuts down: between two of its polls, on either backend. */
const IDLE_MS = 7_500;
/** Well under the 3.7 s or more to B's next poll: only a wake-up gets the task to B this soon. */
const WOKEN_WITHIN_MS = 2_000;

describe('shutdown wakes the other workers of the topic', () => {
  const appId = uniqueAppId('wakeothers');
  let b: MemFlowInstance | undefined;
  beforeAll(async () => {
    b = await MemFlow.init({ appId, engine: { connection: testConnection() }, worker: { maxPollMs: B_MAX_POLL_MS } });
    await b.worker.create({ taskQueue: 'wake', workflow: wakeWork });
  });
  afterAll(async () => {
    await b?.shutdown();
  });

  it('the task a worker gives back at shutdown is claimed by another worker at once', { timeout: 90_000 }, async () => {
    for (let round = 0; round < 3; round++) {
      const tag = `wake-${round}-${Date.now()}`;
      phase = 'A';
      const a = await MemFlow.init({ appId, engine: { connection: testConnection() } });
      await a.worker.create({ taskQueue: 'wake', workflow: wakeWork });
      // started in A's process: A's worker takes it directly (a held start), B never sees it
      const handle = await a.workflow.start({ taskQueue: 'wake', workflowName: 'wakeWork', workflowId: tag, args: [tag] });
      const until = Date.now() + 10_000;
      while (!starts.some((s) => s.tag === tag && s.phase === 'A')) {
        if (Date.now() > until) throw new Error('A never started the step');
        await new Promise((r) => setTimeout(r, 10));
      }
      expect(starts.filter((s) => s.tag === tag).map((s) => s.phase)).toEqual(['A']);
      // B idle long enough for its polls to be seconds apart, its next one seconds away
      await new Promise((r) => setTimeout(r, IDLE_MS));
      phase = 'B';
      const shutdownAt = Date.now();
      await a.shutdown({ graceMs: 100 });
      const released = Date.now();
      expect(await handle.result()).toBe(`${tag}:B`);
      const again = starts.find((s) => s.tag === tag && s.phase === 'B');
      expect(again, `round ${round}: B ran the step`).toBeDefined();
      console.log(`shutdown wakes: round ${round}: B started the step ${again!.at - released} ms after A's shutdown`);
      expect(again!.at - released, `round ${round}: ms from A's shutdown (${released - shutdownAt} ms) to B's start`).toBeLessThan(WOKEN_WITHIN_MS);
    }
  });
});
