/**
 * The write lane (engine/write-lane.ts), against a model database that answers each statement the
 * way the SQL does: a lone start or finish goes as its single statement; what queues behind a
 * statement goes as jobs.startJobs (starts only), threads.finishThreads (finishes only) or
 * grouped.startsAndFinishes (both), each item's parameters sent with its place `i`, and each caller
 * gets the answer for its own item, whatever the mix. The per-kind counts are what the bench prints.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type FinishParams, type StartParams, WriteLane } from '../../src/engine/write-lane.js';
import type { Query } from '../../src/sql/define-query.js';
import * as grouped from '../../src/sql/queries/grouped.js';
import * as jobs from '../../src/sql/queries/jobs.js';
import * as threads from '../../src/sql/queries/threads.js';
import type { QueryResult } from '../../src/storage/driver.js';

type Sent = { query: Query<any, any>; params: Record<string, unknown> };

const start = (jobId: string) => ({ jobId }) as unknown as StartParams;
const finish = (jobId: string) => ({ jobId }) as unknown as FinishParams;

/** The model: a start answers its job id as the row's `id` (no row for ids starting 'taken'); a finish, `done:<id>`. */
function model(maxGroupBytes?: number) {
  const sent: Sent[] = [];
  const waiting: Array<() => void> = [];
  // what a start answers (jobs.StartAnswer); its caller completes the row from what it sent (startedRow)
  const startRow = (p: { jobId: string }) =>
    p.jobId.startsWith('taken') ? undefined : { id: `task-${p.jobId}`, claims: 1, args: [p.jobId], job_options: {}, db_now: 7 };
  const finishRow = (p: { jobId: string }) => ({ notice: `done:${p.jobId}` });
  const answer = (query: Query<any, any>, params: Record<string, unknown>): unknown[] => {
    const items = (key: string) => JSON.parse(params[key] as string) as Array<{ jobId: string; i: number }>;
    if (query === jobs.startJob) return [startRow(params as { jobId: string })].filter(Boolean);
    if (query === threads.finishThread) return [finishRow(params as { jobId: string })];
    if (query === jobs.startJobs) return items('items').flatMap((it) => (startRow(it) ? [{ ...startRow(it), idx: it.i }] : []));
    if (query === threads.finishThreads) return items('items').map((it) => ({ ...finishRow(it), idx: it.i }));
    if (query === grouped.startsAndFinishes) {
      return [
        ...items('starts').flatMap((it) => (startRow(it) ? [{ k: 's', r: { ...startRow(it), idx: it.i } }] : [])),
        ...items('finishes').map((it) => ({ k: 'f', r: { ...finishRow(it), idx: it.i } })),
      ];
    }
    throw new Error('a statement the lane should not send');
  };
  const run = <P extends object, R>(query: Query<P, R>, params: P): Promise<QueryResult<R>> => {
    sent.push({ query, params: params as Record<string, unknown> });
    return new Promise((resolve) => waiting.push(() => resolve({ rows: answer(query, params as Record<string, unknown>) as R[], rowCount: 0 })));
  };
  const lane = new WriteLane(run, { lanes: 1, maxGroup: 64, ...(maxGroupBytes === undefined ? {} : { maxGroupBytes }) });
  const answerNext = async () => {
    waiting.shift()!();
    await new Promise((r) => setImmediate(r));
  };
  return { lane, sent, waiting, answerNext };
}

describe('write lane', () => {
  it('a lone start or finish goes as its single statement', async () => {
    const m = model();
    const s = m.lane.start(start('a'));
    expect(m.sent.map((x) => x.query)).toEqual([jobs.startJob]);
    await m.answerNext();
    await expect(s).resolves.toEqual({ id: 'task-a', claims: 1, args: ['a'], job_options: {}, db_now: 7 });
    const f = m.lane.finish(finish('a'));
    expect(m.sent[1]!.query).toBe(threads.finishThread);
    await m.answerNext();
    await expect(f).resolves.toEqual({ notice: 'done:a' });
  });

  it('starts and finishes queued behind one statement go in one statement together, each with its own answer', async () => {
    const m = model();
    const first = m.lane.start(start('first'));
    const queued = [m.lane.finish(finish('f1')), m.lane.start(start('s1')), m.lane.start(start('taken-1')), m.lane.finish(finish('f2'))];
    await m.answerNext();
    expect(m.sent).toHaveLength(2);
    const combined = m.sent[1]!;
    expect(combined.query).toBe(grouped.startsAndFinishes);
    // each kind's items, in the order they came, with their place in the group
    expect(JSON.parse(combined.params.starts as string)).toEqual([
      { jobId: 's1', i: 1 },
      { jobId: 'taken-1', i: 2 },
    ]);
    expect(JSON.parse(combined.params.finishes as string)).toEqual([
      { jobId: 'f1', i: 0 },
      { jobId: 'f2', i: 3 },
    ]);
    await m.answerNext();
    await expect(first).resolves.toMatchObject({ id: 'task-first', args: ['first'] });
    await expect(Promise.all(queued)).resolves.toEqual([
      { notice: 'done:f1', idx: 0 },
      expect.objectContaining({ id: 'task-s1', args: ['s1'] }),
      undefined, // the id was taken: no row
      { notice: 'done:f2', idx: 3 },
    ]);
    expect(m.lane.stats('start')).toEqual({ statements: 2, items: 3 });
    expect(m.lane.stats('finish')).toEqual({ statements: 1, items: 2 });
  });

  it('a group of one kind counts no statement for the other, and goes as that kind\'s grouped statement', async () => {
    const m = model();
    const first = m.lane.finish(finish('f0'));
    const queued = [m.lane.finish(finish('f1')), m.lane.finish(finish('f2'))];
    await m.answerNext();
    expect(m.sent[1]!.query).toBe(threads.finishThreads);
    await m.answerNext();
    await Promise.all([first, ...queued]);
    expect(m.lane.stats('start')).toEqual({ statements: 0, items: 0 });
    expect(m.lane.stats('finish')).toEqual({ statements: 2, items: 3 });
  });

  it('a group stops growing at maxGroupBytes of parameters (an item\'s strings count by length)', async () => {
    const m = model(100);
    const first = m.lane.start(start('first'));
    const big = (c: string) => `${c}`.repeat(60);
    // a number counts 8 bytes
    const sized = (jobId: string) => ({ jobId, leaseSeconds: 30 }) as unknown as StartParams;
    const queued = [m.lane.start(sized(big('a'))), m.lane.start(sized(big('b'))), m.lane.start(start('c'))];
    await m.answerNext();
    // 68 + 68 bytes pass 100: the first big one goes alone, as its single statement
    expect(m.sent[1]).toMatchObject({ query: jobs.startJob, params: { jobId: big('a') } });
    await m.answerNext();
    expect(m.sent[2]!.query).toBe(jobs.startJobs);
    expect(JSON.parse(m.sent[2]!.params.items as string).map((it: { jobId: string }) => it.jobId)).toEqual([big('b'), 'c']);
    await m.answerNext();
    await expect(Promise.all([first, ...queued])).resolves.toHaveLength(4);
  });

  it('any mix of starts and finishes: every caller gets its own answer, in the statement its kinds call for', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(fc.constantFrom('start', 'finish', 'taken'), { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 5 }), async (waves) => {
        const m = model();
        const calls: Array<{ promise: Promise<unknown>; expected: unknown }> = [];
        let n = 0;
        for (const wave of waves) {
          // a wave arrives while the previous statement is in flight; then one statement is answered
          for (const kind of wave) {
            const id = `${kind}-${n++}`;
            const promise = kind === 'finish' ? m.lane.finish(finish(id)) : m.lane.start(start(id));
            const expected = kind === 'finish' ? { notice: `done:${id}` } : kind === 'taken' ? undefined : { id: `task-${id}`, args: [id] };
            calls.push({ promise, expected });
          }
          if (m.waiting.length > 0) await m.answerNext();
        }
        while (m.waiting.length > 0) await m.answerNext();
        const got = await Promise.all(calls.map((c) => c.promise));
        got.forEach((row, k) => {
          const expected = calls[k]!.expected;
          if (expected === undefined) expect(row).toBeUndefined();
          else expect(row).toMatchObject(expected as object);
        });
        // each statement carries only the kinds its text is for; startsAndFinishes only when both queued
        const ids = (value: unknown) => (JSON.parse(value as string) as Array<{ jobId: string }>).map((it) => it.jobId);
        const isFinish = (id: string) => id.startsWith('finish');
        for (const s of m.sent) {
          const jobId = s.params.jobId as string;
          if (s.query === jobs.startJob) expect(isFinish(jobId)).toBe(false);
          else if (s.query === threads.finishThread) expect(isFinish(jobId)).toBe(true);
          else if (s.query === jobs.startJobs) expect(ids(s.params.items).some(isFinish)).toBe(false);
          else if (s.query === threads.finishThreads) expect(ids(s.params.items).every(isFinish)).toBe(true);
          else {
            expect(s.query).toBe(grouped.startsAndFinishes);
            expect(ids(s.params.starts).length).toBeGreaterThan(0);
            expect(ids(s.params.starts).some(isFinish)).toBe(false);
            expect(ids(s.params.finishes).length).toBeGreaterThan(0);
            expect(ids(s.params.finishes).every(isFinish)).toBe(true);
          }
        }
        expect(m.lane.stats('start').items + m.lane.stats('finish').items).toBe(calls.length);
      }),
      { numRuns: 200 },
    );
  });
});
