/**
 * Review finding: a database error that will happen again on every run is treated as an
 * infrastructure error, so the workflow neither fails nor finishes: it is re-run forever and
 * result() never settles.
 *
 * - A durable call whose statement fails (here: search().incr on a field holding a non-number, which
 *   raises 22P02 in search_apply) aborts the run; runThreadTask releases the task for 1 s
 *   (releaseTask) and the next run fails the same way, every second, with no bound.
 * - A statement that ends the run and fails (here: suspendThread for sleepFor(Number.MAX_VALUE),
 *   accepted by parseDurationMs, whose due time overflows make_interval/timestamptz) escapes
 *   runThreadTask: the task stays leased until the lease runs out, then the same again, forever.
 * Inline activities, context ops and workflow results map such cases to typed, journaled failures;
 * these paths do not.
 * - A remote activity whose result jsonb refuses (a NUL character) makes finishActivityTask throw:
 *   the activity task stays leased, is claimed again when the lease runs out, and runs again, forever.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemFlow, type MemFlowInstance } from '../src/index.js';
import { testConnection, uniqueAppId } from './support/backend.js';

export const runs = { counter: 0, sleeper: 0, remote: 0 };

export async function counter(): Promise<number> {
  runs.counter++;
  const search = await MemFlow.workflow.search();
  await search.set({ count: 'n/a' });
  return search.incr('count', 1);
}

export async function sleeper(): Promise<string> {
  runs.sleeper++;
  await MemFlow.workflow.sleepFor(Number.MAX_VALUE);
  return 'woke';
}

const remoteActs = {
  async legacyLookup(): Promise<string> {
    runs.remote++;
    return 'value\u0000with a NUL'; // what a C library or a bytea-ish column can hand back
  },
};
const remote = MemFlow.workflow.proxyActivities<typeof remoteActs>({ taskQueue: 'legacy' });
export async function usesRemote(): Promise<string> {
  return remote.legacyLookup();
}

/** Generous: the bug this pins never settles; a slow machine settles in well under this. */
const SETTLE_MS = 20_000;
const settleWithin = (p: Promise<unknown>, ms: number) =>
  Promise.race([
    p.then(
      (v) => ({ settled: true, v }),
      (e: Error & { code?: number }) => ({ settled: true, code: e.code, message: e.message }),
    ),
    new Promise((r) => setTimeout(() => r({ settled: false }), ms)),
  ]);

describe('deterministic database errors inside a workflow', () => {
  let mf: MemFlowInstance;
  beforeAll(async () => {
    mf = await MemFlow.init({ appId: uniqueAppId('rv-dberr'), engine: { connection: testConnection() } });
    await mf.worker.create({ taskQueue: 'review', workflow: counter, options: { leaseSeconds: 2 } });
    await mf.worker.create({ taskQueue: 'review', workflow: sleeper });
    await mf.worker.create({ taskQueue: 'review', workflow: usesRemote });
    await mf.worker.registerActivityWorker({}, remoteActs, 'legacy');
  });
  afterAll(() => mf.shutdown());

  it('search().incr on a non-numeric field fails the workflow (typed) instead of re-running it forever', async () => {
    const h = await mf.workflow.start({ taskQueue: 'review', workflowName: 'counter' });
    const outcome = await settleWithin(h.result(), SETTLE_MS);
    expect(outcome).toEqual({ settled: true, code: 598, message: 'invalid input syntax for type numeric: "n/a"' });
    expect(runs.counter, 'runs of the workflow function').toBe(1);
  }, 40_000);

  it('sleepFor(Number.MAX_VALUE) is refused or fails the workflow instead of leaving it leased and re-run forever', async () => {
    const h = await mf.workflow.start({ taskQueue: 'review', workflowName: 'sleeper' });
    const outcome = await settleWithin(h.result(), SETTLE_MS);
    expect(outcome).toEqual({ settled: true, code: 598, message: "Invalid duration: '1.7976931348623157e+308' is longer than 100 years" });
    expect(runs.sleeper, 'runs of the workflow function').toBe(1);
  }, 40_000);

  it('a remote activity whose result jsonb refuses fails the call (as inline does) instead of being re-run forever', async () => {
    // inline, encodeJson refuses the result and the call fails fatally; remote, finishActivityTask
    // throws, the task stays leased until the lease (2 s here) runs out, and the activity runs again
    const h = await mf.workflow.start({ taskQueue: 'review', workflowName: 'usesRemote' });
    const outcome = await settleWithin(h.result(), SETTLE_MS);
    expect(outcome).toEqual({ settled: true, code: 598, message: "Invalid activity 'legacyLookup' result: must not contain NUL (\\u0000) characters" });
    expect(runs.remote, 'executions of the remote activity').toBe(1);
  }, 40_000);
});
