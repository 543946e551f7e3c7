/**
 * What a finished or stopped run leaves behind: nothing. A worker runs for months; the replay core
 * must not keep a reference per run. Found with a heap profile: every wait on an inline activity
 * raced the activity against one module-wide promise that never settles, and each race left a
 * reaction on it, forever (about 240 bytes a workflow); a workflow function left awaiting a call on
 * a stopped run was held by that same promise, with everything its frame held.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import type { CallRequest, IssuedCall } from './durable-call.js';
import type { CallOutcome } from './journal-entry.js';
import { type RunPort, ThreadRun } from './thread-run.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

async function collect(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setImmediate(r));
    gc();
  }
}

/** A port whose activities finish after a macrotask, as an inline activity does. */
function port(): RunPort {
  return {
    now: () => 0,
    execute: async (call: IssuedCall): Promise<CallOutcome> => {
      await new Promise((r) => setImmediate(r));
      return { type: 'done', value: call.name };
    },
    stamp: async () => {},
  };
}

const activity = (name: string) => ({ kind: 'activity', name, input: [] }) as unknown as CallRequest;

describe('a run leaves nothing behind', () => {
  it('a workflow function left waiting on a stopped run can be collected, with what it holds', async () => {
    let ref: WeakRef<object> | undefined;
    await (async () => {
      const run = new ThreadRun([], port(), { jobId: 'j', thread: 'main' });
      const held = { big: new Array(1000).fill('x') };
      ref = new WeakRef(held);
      const outcome = run.run(async () => {
        await run.call(activity('first'));
        run.abort(new Error('lease lost'));
        await run.call(activity('second')); // the run has stopped: this never settles
        return held.big.length;
      });
      expect((await outcome).type).toBe('aborted');
    })();
    await collect();
    expect(ref!.deref(), 'the stopped run\'s workflow frame is still reachable').toBeUndefined();
  });

  it('runs that wait on inline activities leave no heap behind', async () => {
    const runs = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const run = new ThreadRun([], port(), { jobId: `j${i}`, thread: 'main' });
        const outcome = await run.run(async () => (await run.call(activity('step'))).ok);
        expect(outcome.type).toBe('completed');
      }
    };
    await runs(2_000); // warm: code, inline caches
    await collect();
    const before = process.memoryUsage().heapUsed;
    await runs(20_000);
    await collect();
    const grown = process.memoryUsage().heapUsed - before;
    // 20,000 runs leaked about 4.8 MB before the fix
    expect(grown).toBeLessThan(1.5 * 1024 * 1024);
  });
});
