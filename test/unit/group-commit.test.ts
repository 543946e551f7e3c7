/**
 * Group commit (engine/group-commit.ts), against a model database whose statements the test answers
 * by hand: every caller gets its own item's answer, never more statements in flight than lanes,
 * never a group over the limit, a lone caller never waits, a refused group is sent again item by
 * item (only the item at fault fails), and a group whose answer is lost fails every item.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GroupCommit, type GroupCommitOptions } from '../../src/engine/group-commit.js';
import * as jobs from '../../src/sql/queries/jobs.js';
import * as threads from '../../src/sql/queries/threads.js';

/** A statement the model database has not answered yet. */
interface Pending {
  items: number[];
  grouped: boolean;
  answer(): void;
  fail(error: unknown): void;
}

function model(
  lanes: number,
  maxGroup: number,
  refuse: (item: number) => boolean = () => false,
  patienceMs?: number,
  settleTurns?: number,
  extra: Pick<GroupCommitOptions<number, string>, 'resendInOrder' | 'onIdle' | 'resendAfter'> = {},
) {
  const pending: Pending[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const sent: Array<{ items: number[]; grouped: boolean }> = [];
  const statement = <R>(items: number[], grouped: boolean, answer: () => R): Promise<R> => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    sent.push({ items, grouped });
    return new Promise<R>((resolve, reject) => {
      pending.push({
        items,
        grouped,
        answer: () => {
          inFlight--;
          // the database refuses a statement carrying an item it refuses: the whole statement
          if (items.some(refuse)) reject(Object.assign(new Error('refused'), { code: '22P05', severity: 'ERROR' }));
          else resolve(answer());
        },
        fail: (error) => {
          inFlight--;
          reject(error);
        },
      });
    });
  };
  const group = new GroupCommit<number, string>({
    one: (item) => statement([item], false, () => `r${item}`),
    many: (items) => statement([...items], true, () => items.map((i) => `r${i}`)),
    lanes,
    maxGroup,
    ...(patienceMs === undefined ? {} : { patienceMs }),
    ...(settleTurns === undefined ? {} : { settleTurns }),
    ...extra,
  });
  return { group, pending, sent, maxInFlight: () => maxInFlight };
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A group of sized items (an item's size is its value) whose statements the test answers in order. */
function sizedModel(maxGroupBytes: number | undefined) {
  const pending: Array<() => void> = [];
  const sent: number[][] = [];
  const statement = <R>(items: number[], answer: () => R) =>
    new Promise<R>((resolve) => {
      sent.push(items);
      pending.push(() => resolve(answer()));
    });
  const group = new GroupCommit<number, number>({
    one: (i) => statement([i], () => i),
    many: (items) => statement([...items], () => [...items]),
    lanes: 1,
    maxGroup: 64,
    size: (i) => i,
    ...(maxGroupBytes === undefined ? {} : { maxGroupBytes }),
  });
  return { group, pending, sent };
}


describe('GroupCommit', () => {
  it('a lone caller goes at once, on its own', async () => {
    const m = model(1, 64);
    const p = m.group.submit(7);
    expect(m.sent).toEqual([{ items: [7], grouped: false }]);
    m.pending.shift()!.answer();
    await expect(p).resolves.toBe('r7');
  });

  it('callers behind a statement in flight go together, in order, when it returns', async () => {
    const m = model(1, 64);
    const all = [1, 2, 3, 4].map((i) => m.group.submit(i));
    expect(m.sent).toEqual([{ items: [1], grouped: false }]);
    m.pending.shift()!.answer();
    await turn();
    expect(m.sent[1]).toEqual({ items: [2, 3, 4], grouped: true });
    m.pending.shift()!.answer();
    await expect(Promise.all(all)).resolves.toEqual(['r1', 'r2', 'r3', 'r4']);
  });

  it('for any arrivals, answer order and settle turns: each caller its own answer, within lanes and the group limit', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 5 }),
        fc.array(fc.oneof(fc.constant('submit' as const), fc.nat({ max: 4 })), { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 0, max: 3 }),
        async (lanes, maxGroup, script, settleTurns) => {
          const m = model(lanes, maxGroup, () => false, undefined, settleTurns);
          const results: Array<Promise<string>> = [];
          let next = 0;
          for (const step of script) {
            if (step === 'submit') results.push(m.group.submit(next++));
            else if (m.pending.length > 0) m.pending.splice(step % m.pending.length, 1)[0]!.answer();
            await turn();
          }
          // answer what is out; queued callers go once a lane has settled
          for (let guard = 0; guard < 1000; guard++) {
            if (m.pending.length > 0) m.pending.shift()!.answer();
            for (let t = 0; t <= settleTurns; t++) await turn();
            if (m.pending.length === 0) break;
          }
          expect(await Promise.all(results)).toEqual(results.map((_, i) => `r${i}`));
          expect(m.maxInFlight()).toBeLessThanOrEqual(lanes);
          for (const s of m.sent) expect(s.items.length).toBeLessThanOrEqual(maxGroup);
          // every item was sent exactly once
          expect(m.sent.flatMap((s) => s.items).sort((a, b) => a - b)).toEqual(results.map((_, i) => i));
        },
      ),
    );
  });

  it('a group the database refuses is sent again item by item: only the item at fault fails', async () => {
    const m = model(1, 64, (item) => item === 3);
    const all = [1, 2, 3, 4].map((i) => m.group.submit(i).catch((e: Error) => `failed: ${e.message}`));
    m.pending.shift()!.answer(); // 1, alone
    await turn();
    expect(m.sent[1]).toEqual({ items: [2, 3, 4], grouped: true });
    m.pending.shift()!.answer(); // refused: 3 is in it
    await turn();
    expect(m.sent.slice(2)).toEqual([2, 3, 4].map((i) => ({ items: [i], grouped: false })));
    while (m.pending.length > 0) m.pending.shift()!.answer();
    await expect(Promise.all(all)).resolves.toEqual(['r1', 'r2', 'failed: refused', 'r4']);
  });

  it('with resendInOrder, a refused group is sent again one item at a time, in order (context ops on one job)', async () => {
    const m = model(1, 64, (item) => item === 3, undefined, undefined, { resendInOrder: true });
    const all = [1, 2, 3, 4].map((i) => m.group.submit(i).catch((e: Error) => `failed: ${e.message}`));
    m.pending.shift()!.answer(); // 1, alone
    await turn();
    m.pending.shift()!.answer(); // [2, 3, 4] refused
    await turn();
    // one resend in flight at a time: the next goes only once the one before it answered
    for (const item of [2, 3, 4]) {
      expect(m.pending.map((p) => p.items)).toEqual([[item]]);
      m.pending.shift()!.answer();
      await turn();
    }
    await expect(Promise.all(all)).resolves.toEqual(['r1', 'r2', 'failed: refused', 'r4']);
  });

  it('with resendAfter, a refusal it does not name fails the whole group at once, with no resend', async () => {
    // the model refuses with 22P05 (an item's data): a lane that resends only after 23xxx does not
    const m = model(1, 64, (item) => item === 3, undefined, undefined, { resendInOrder: true, resendAfter: (err) => (err as { code: string }).code.startsWith('23') });
    const all = [1, 2, 3, 4].map((i) => m.group.submit(i).catch((e: Error) => `failed: ${e.message}`));
    m.pending.shift()!.answer(); // 1, alone
    await turn();
    m.pending.shift()!.answer(); // [2, 3, 4] refused
    await expect(Promise.all(all)).resolves.toEqual(['r1', 'failed: refused', 'failed: refused', 'failed: refused']);
    expect(m.sent).toHaveLength(2);
  });

  it('onIdle is called once the last statement frees its lane with nothing queued, not before', async () => {
    let idle = 0;
    const m = model(1, 64, () => false, undefined, undefined, { onIdle: () => idle++ });
    const all = [1, 2, 3].map((i) => m.group.submit(i));
    m.pending.shift()!.answer(); // 1 answered, [2, 3] sent at once: not idle
    await turn();
    expect(idle).toBe(0);
    m.pending.shift()!.answer();
    await Promise.all(all);
    expect(idle).toBe(1);
  });

  it('a group whose answer is lost fails every item with that error (it may have committed)', async () => {
    const m = model(1, 64);
    const all = [1, 2, 3].map((i) => m.group.submit(i).catch((e: Error) => `failed: ${e.message}`));
    m.pending.shift()!.answer();
    await turn();
    m.pending.shift()!.fail(Object.assign(new Error('Connection terminated unexpectedly'), {}));
    await turn();
    expect(m.sent).toHaveLength(2); // nothing sent again: resending could run an item twice
    await expect(Promise.all(all)).resolves.toEqual(['r1', 'failed: Connection terminated unexpectedly', 'failed: Connection terminated unexpectedly']);
  });

  it('a group ended by a server restart (an SQLSTATE that means the connection is gone) fails every item too', async () => {
    const m = model(1, 64);
    const all = [1, 2, 3].map((i) => m.group.submit(i).catch((e: { code: string }) => e.code));
    m.pending.shift()!.answer();
    await turn();
    m.pending.shift()!.fail(Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01', severity: 'FATAL' }));
    await turn();
    expect(m.sent).toHaveLength(2);
    await expect(Promise.all(all)).resolves.toEqual(['r1', '57P01', '57P01']);
  });

  it('a group rolled back by a deadlock, a lock timeout or a statement timeout is sent again item by item', async () => {
    for (const code of ['40P01', '55P03', '57014']) {
      const m = model(1, 64);
      const all = [1, 2, 3].map((i) => m.group.submit(i));
      m.pending.shift()!.answer();
      await turn();
      m.pending.shift()!.fail(Object.assign(new Error(code), { code, severity: 'ERROR' }));
      await turn();
      expect(m.sent.slice(2), code).toEqual([2, 3].map((i) => ({ items: [i], grouped: false })));
      while (m.pending.length > 0) m.pending.shift()!.answer();
      await expect(Promise.all(all)).resolves.toEqual(['r1', 'r2', 'r3']);
    }
  });

  it('an error with no SQLSTATE and severity (a network error, a deadline) counts as a lost answer', async () => {
    const m = model(1, 64);
    const all = [1, 2, 3].map((i) => m.group.submit(i).catch((e: { code?: string }) => `lost ${e.code}`));
    m.pending.shift()!.answer();
    await turn();
    m.pending.shift()!.fail(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
    await turn();
    expect(m.sent).toHaveLength(2);
    await expect(Promise.all(all)).resolves.toEqual(['r1', 'lost ECONNRESET', 'lost ECONNRESET']);
  });

  it('a group stops growing at maxGroupBytes, and an item larger than that goes alone', async () => {
    const { group, pending, sent } = sizedModel(100);
    const all = [1, 40, 50, 20, 500, 30].map((i) => group.submit(i));
    pending.shift()!();
    await turn();
    expect(sent[1]).toEqual([40, 50]); // +20 would pass 100
    pending.shift()!();
    await turn();
    expect(sent[2]).toEqual([20]); // 500 alone is over: it goes in a statement of its own, next
    pending.shift()!();
    await turn();
    expect(sent[3]).toEqual([500]);
    pending.shift()!();
    await turn();
    expect(sent[4]).toEqual([30]);
    pending.shift()!();
    await expect(Promise.all(all)).resolves.toEqual([1, 40, 50, 20, 500, 30]);
    expect(group.sent).toEqual({ statements: 5, items: 6 });
  });

  it('each grouped function reads every parameter of its single statement from the items (and `i`)', () => {
    // jsonb_to_recordset ignores keys it was not told about: a parameter added to the single
    // statement but not here would be dropped silently, and only under load
    const sql = readFileSync(new URL('../../src/sql/migrations/0050_group_commit.sql', import.meta.url), 'utf8');
    const columns = [...sql.matchAll(/jsonb_to_recordset\(p_items\) AS x\(([^)]*)\)/g)].map((m) =>
      m[1]!.split(',').map((c) => c.trim().split(/\s+/)[0]!.replace(/"/g, '')),
    );
    expect(columns).toHaveLength(2);
    expect([...columns[0]!].sort()).toEqual(['i', ...jobs.startJob.params].sort());
    expect([...columns[1]!].sort()).toEqual(['i', ...threads.finishThread.params].sort());
    // the set-based rewrites (0052, 0053, and 0054 and 0056 restating it) read the items again: each list holds every parameter (the
    // start's NOTIFY reads the few it needs)
    const listsIn = (file: string) =>
      [...readFileSync(new URL(`../../src/sql/migrations/${file}`, import.meta.url), 'utf8').matchAll(/jsonb_to_recordset\(p_items\) AS x\(([^)]*)\)/g)].map((m) =>
        m[1]!.split(',').map((c) => c.trim().split(/\s+/)[0]!.replace(/"/g, '')).sort(),
      );
    const [startItems, ...startNotify] = listsIn('0052_set_based_group_start.sql');
    expect(startItems).toEqual(['i', ...jobs.startJob.params].sort());
    for (const list of startNotify) for (const column of list) expect(jobs.startJob.params as readonly string[]).toContain(column);
    for (const file of ['0053_set_based_group_finish.sql', '0054_finish_locks_by_key.sql', '0056_finish_without_scans_or_quadratic_counts.sql']) {
      const finishLists = listsIn(file);
      expect(finishLists).toHaveLength(2);
      for (const list of finishLists) expect(list).toEqual(['i', ...threads.finishThread.params].sort());
    }
  });

  it('one item queued alone goes as its own statement, not as a group of one', async () => {
    const m = model(1, 64);
    const all = [1, 2].map((i) => m.group.submit(i));
    m.pending.shift()!.answer();
    await turn();
    expect(m.sent).toEqual([
      { items: [1], grouped: false },
      { items: [2], grouped: false },
    ]);
    m.pending.shift()!.answer();
    await expect(Promise.all(all)).resolves.toEqual(['r1', 'r2']);
  });

  it('an answered error without an SQLSTATE, or a connection-class one, counts as lost', async () => {
    for (const error of [{ severity: 'ERROR' }, { severity: 'FATAL', code: '08006' }, { severity: 'FATAL', code: '57P02' }]) {
      const m = model(1, 64);
      const all = [1, 2, 3].map((i) => m.group.submit(i).catch(() => 'lost'));
      m.pending.shift()!.answer();
      await turn();
      m.pending.shift()!.fail(Object.assign(new Error('gone'), error));
      await turn();
      expect(m.sent, JSON.stringify(error)).toHaveLength(2);
      await expect(Promise.all(all)).resolves.toEqual(['r1', 'lost', 'lost']);
    }
  });

  it('a byte limit is inclusive, and with sizes but no limit only maxGroup bounds a group', async () => {
    for (const [maxGroupBytes, expected] of [
      [100, [40, 60]],
      [undefined, [40, 60, 70]],
    ] as const) {
      const { group, pending, sent } = sizedModel(maxGroupBytes);
      const all = [1, 40, 60, 70].map((i) => group.submit(i));
      pending.shift()!();
      await turn();
      expect(sent[1]).toEqual(expected);
      while (pending.length > 0) {
        pending.shift()!();
        await turn();
      }
      await expect(Promise.all(all)).resolves.toEqual([1, 40, 60, 70]);
    }
  });

  it('a statement out past patienceMs frees its lane: the next go beside it, and its late answer frees nothing twice', async () => {
    const m = model(1, 64, () => false, 20);
    const first = m.group.submit(1); // stuck: a connection gone half-open
    const queued = [2, 3].map((i) => m.group.submit(i));
    expect(m.sent).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 40));
    expect(m.sent[1]).toEqual({ items: [2, 3], grouped: true });
    m.pending[1]!.answer();
    await expect(Promise.all(queued)).resolves.toEqual(['r2', 'r3']);
    // the stuck one is still out, but holds no lane: a new call goes at once
    const fourth = m.group.submit(4);
    expect(m.sent[2]).toEqual({ items: [4], grouped: false });
    m.pending[0]!.answer(); // the stuck one answers at last
    await turn();
    const fifth = m.group.submit(5); // the lane is still the fourth's: 5 waits, 4's answer sends it
    expect(m.sent).toHaveLength(3);
    m.pending[2]!.answer();
    await turn();
    expect(m.sent[3]).toEqual({ items: [5], grouped: false });
    m.pending[3]!.answer();
    await expect(Promise.all([first, fourth, fifth])).resolves.toEqual(['r1', 'r4', 'r5']);
  });

  it('with settleTurns, what a caller submits on the turn after its answer joins the next group (with none, it waits a statement more)', async () => {
    const run = async (settleTurns: number) => {
      const m = model(1, 64, () => false, undefined, settleTurns);
      const followUps: Promise<string>[] = [];
      // the first caller goes on a turn after its answer (as a started workflow is dispatched) and submits again
      const first = m.group.submit(1).then((r) => {
        setImmediate(() => followUps.push(m.group.submit(10)));
        return r;
      });
      const second = m.group.submit(2);
      m.pending.shift()!.answer();
      for (let i = 0; i < 4; i++) await turn();
      const next = m.sent[1];
      while (m.pending.length > 0) {
        m.pending.shift()!.answer();
        for (let i = 0; i < 4; i++) await turn();
      }
      await expect(Promise.all([first, second, ...followUps])).resolves.toEqual(['r1', 'r2', 'r10']);
      return { next, statements: m.sent.length };
    };
    expect(await run(2)).toEqual({ next: { items: [2, 10], grouped: true }, statements: 2 });
    expect(await run(0)).toEqual({ next: { items: [2], grouped: false }, statements: 3 });
  });

  it('with settleTurns, the next call of a lone caller after its answer still goes at once (only a busy lane settles)', async () => {
    const m = model(1, 64, () => false, undefined, 3);
    const first = m.group.submit(1);
    m.pending.shift()!.answer();
    await expect(first).resolves.toBe('r1');
    const second = m.group.submit(2);
    expect(m.sent).toEqual([
      { items: [1], grouped: false },
      { items: [2], grouped: false },
    ]);
    m.pending.shift()!.answer();
    await expect(second).resolves.toBe('r2');
  });
});
