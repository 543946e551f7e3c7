/**
 * handle.result()'s wait (memflow/result-waiter.ts) against a model engine: a finish message, with
 * the outcome or without it, wakes the waiter whenever it comes, even while the job row is being
 * read; without one the waiter reads the row again only after its poll interval.
 */
import { describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/engine.js';
import type { FinishNotice } from '../../src/engine/finish-notices.js';
import { waitForResult } from '../../src/memflow/result-waiter.js';

/** An engine whose job row reads come from `rows` in turn; `during(n)` runs while read n is out. */
function modelEngine(rows: Array<{ status: string; output?: unknown }>, during: (n: number, done: (notice?: FinishNotice) => void) => void) {
  const listeners = new Set<(notice?: FinishNotice) => void>();
  let reads = 0;
  const done = (notice?: FinishNotice) => {
    for (const l of [...listeners]) l(notice);
  };
  const engine = {
    onDone: (_jobId: string, listener: (notice?: FinishNotice) => void) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    watchTrusted: () => false,
    query: async () => {
      const n = reads++;
      const row = rows[Math.min(n, rows.length - 1)]!;
      during(n, done);
      await new Promise((r) => setTimeout(r, 5));
      return { rows: [{ status: row.status, output: row.output ?? null, output_undefined: row.output === undefined, error: null }], rowCount: 1 };
    },
  };
  return { engine: engine as unknown as Engine, reads: () => reads };
}

describe('result waiter', () => {
  it('a finish message without the outcome, heard while the row is read, wakes it at once (no poll wait)', async () => {
    const m = modelEngine([{ status: 'running' }, { status: 'completed', output: 42 }], (n, done) => {
      if (n === 0) setTimeout(() => done(), 1); // while the first read is out
    });
    const t0 = Date.now();
    await expect(waitForResult(m.engine, 'job-1', {})).resolves.toBe(42);
    expect(Date.now() - t0).toBeLessThan(1900); // the poll interval is 2 s (about 10 ms when woken at once)
    expect(m.reads()).toBe(2);
  });

  it('a finish message with the outcome answers without another read', async () => {
    const m = modelEngine([{ status: 'running' }], (n, done) => {
      if (n === 0) setTimeout(() => done({ status: 'completed', output: 'x', outputUndefined: false, error: null }), 20);
    });
    await expect(waitForResult(m.engine, 'job-2', {})).resolves.toBe('x');
    expect(m.reads()).toBe(1);
  });
});
