/**
 * A job that continued as new (continueAsNew) can be forked and its history replayed (a black-box
 * pass): its run's seqs start after the earlier runs' (threads.seq_base), and
 * - `fork()` copied the journal but not that base: the fork counted from 1 and parked at once (593);
 * - `MemFlow.testing.replay(await handle.history(), fn, { args })` counted from 0 and threw a
 *   NonDeterminismError for compatible code (an export carried the base; history()'s entries did not).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemFlow, type MemFlowInstance } from '../src/index.js';
import { testConnection, uniqueAppId } from './support/backend.js';

const acts = MemFlow.workflow.proxyActivities({
  activities: {
    async step(n: number): Promise<number> {
      return n * 10;
    },
  },
});

export async function looping(n: number): Promise<{ n: number; step: number; got: unknown }> {
  const step = await acts.step(n);
  MemFlow.workflow.random(); // takes a seq without a journal entry: the base cannot be guessed from the seqs
  if (n < 3) await MemFlow.workflow.continueAsNew(n + 1);
  const got = await MemFlow.workflow.waitFor<string>('finish');
  return { n, step, got };
}

/** A different function: it calls no activity in its last run. */
export async function notLooping(n: number): Promise<number> {
  if (n < 3) await MemFlow.workflow.continueAsNew(n + 1);
  await MemFlow.workflow.waitFor<string>('finish');
  return n;
}

describe('a job that continued as new', () => {
  let mf: MemFlowInstance;
  beforeAll(async () => {
    mf = await MemFlow.init({ appId: uniqueAppId('continued-fork'), engine: { connection: testConnection() } });
    await mf.worker.create({ taskQueue: 'continued-fork', workflow: looping });
  });
  afterAll(() => mf.shutdown());

  it('replays from its history entries and forks into a job that runs on from the same point', async () => {
    const handle = await mf.workflow.start({ taskQueue: 'continued-fork', workflowName: 'looping', args: [1], expire: 600 });
    await handle.signal('finish', 'original');
    expect(await handle.result()).toEqual({ n: 3, step: 30, got: 'original' });

    const history = await handle.history();
    expect(history.filter((e) => e.thread === 'main').every((e) => (e.seqBase ?? 0) > 0)).toBe(true);
    await expect(MemFlow.testing.replay(history, looping, { args: [3] })).resolves.toBeUndefined();
    await expect(MemFlow.testing.replay(await handle.export(), looping)).resolves.toBeUndefined();
    // the check can fail: other code diverges at the run's first call
    await expect(MemFlow.testing.replay(history, notLooping, { args: [3] })).rejects.toMatchObject({ name: 'NonDeterminismError' });

    // the fork replays the step and waits for its own signal
    const step = history.find((e) => e.kind === 'activity')!;
    const fork = await handle.fork({ fromSeq: step.seq });
    await fork.signal('finish', 'fork');
    expect(await fork.result()).toEqual({ n: 3, step: 30, got: 'fork' });
    expect((await fork.history()).filter((e) => e.kind === 'activity').map((e) => e.seq)).toEqual([step.seq]);
  });
});
