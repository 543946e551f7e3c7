/**
 * The worker rebuilds journaled context results by applying the context log to its own copy of the
 * document (src/context/context-replay.ts, migration 0028). It must produce exactly what the database
 * produced: random op sequences go through the outside API on a real job, and after every op the
 * replica, fed the rows the log holds, serialises to the very same text as the database's document
 * (object key order included: a replayed workflow sees the keys in the order the first run saw).
 */
import fc from 'fast-check';
import { MemFlow, type MemFlowInstance } from 'hotmesh';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContextReplica, type LoggedOp } from '../src/context/context-replay.js';
import { testConnection, uniqueAppId } from './support/backend.js';

const KEYS = ['a', 'b', 'list', 'n', 'bb', 'é', '10', '2', 'toString', 'longer-key', 'ключ'];
const segment = fc.oneof({ arbitrary: fc.constantFrom(...KEYS), weight: 4 }, { arbitrary: fc.constantFrom('0', '1', '2'), weight: 2 });
const path = fc.array(segment, { minLength: 1, maxLength: 3 }).map((s) => s.join('.'));
const leaf = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer({ min: -50, max: 50 }),
  fc.constantFrom(0.1, 0.2, 1.5, 1e21, 12345678901234567890),
  fc.string({ maxLength: 4 }),
);
const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  v: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('v'), { maxLength: 3 }), fc.dictionary(fc.constantFrom(...KEYS), tie('v'), { maxKeys: 4 })),
})).v;
const object = fc.dictionary(fc.constantFrom(...KEYS), value, { maxKeys: 4 });

type Op = { op: string; args: unknown[] };
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.tuple(path, value).map(([p, v]) => ({ op: 'set', args: [p, v] })),
  object.map((v) => ({ op: 'set', args: [v] })),
  object.map((v) => ({ op: 'merge', args: [v] })),
  fc.tuple(path, object).map(([p, v]) => ({ op: 'merge', args: [p, v] })),
  path.map((p) => ({ op: 'delete', args: [p] })),
  fc.tuple(path, value).map(([p, v]) => ({ op: 'append', args: [p, v] })),
  fc.tuple(path, value).map(([p, v]) => ({ op: 'prepend', args: [p, v] })),
  fc.tuple(path, fc.nat(3)).map(([p, i]) => ({ op: 'remove', args: [p, i] })),
  // decimal fractions: a JavaScript sum would differ from numeric's (0.1 + 0.2), the log's does not
  fc.tuple(path, fc.constantFrom(1, -2, 0.1, 0.2, 2.5)).map(([p, by]) => ({ op: 'increment', args: [p, by] })),
  path.map((p) => ({ op: 'toggle', args: [p] })),
  fc.tuple(path, value).map(([p, v]) => ({ op: 'setIfNotExists', args: [p, v] })),
);

describe('context replica', () => {
  let mf: MemFlowInstance;
  let n = 0;
  beforeAll(async () => {
    mf = await MemFlow.init({ appId: uniqueAppId('ctx-replica'), engine: { connection: testConnection() }, logLevel: 'error' });
  });
  afterAll(() => mf.shutdown());

  it('rebuilds every version of the document exactly as the database wrote it', async () => {
    const engine = await mf.client.engine(mf.appId);
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 12 }), async (ops) => {
        // a job nobody serves: only the ops below change its context
        const handle = await mf.workflow.start({ taskQueue: 'unserved', workflowName: 'nobody', workflowId: `replica-${n++}` });
        const memory = handle.context();
        const expected: string[] = [];
        for (const { op: name, args } of ops) {
          try {
            await (memory as any)[name](...args);
          } catch {
            continue; // refused (a type clash): not logged, no version
          }
          expected.push(JSON.stringify(await memory.get()));
        }
        const log = await engine.driver.query<{ op: LoggedOp; path: string[]; arg: unknown; result: unknown }>(
          `SELECT op, path, arg, result FROM ${engine.sqlSchema}.context_log WHERE job_id = $1 ORDER BY version`,
          [handle.workflowId],
        );
        expect(log.rows).toHaveLength(expected.length);
        const replica = new ContextReplica({});
        log.rows.forEach((row, i) => {
          replica.apply(row.op, row.path, row.op === 'increment' ? row.result : row.arg);
          expect(JSON.stringify(replica.doc)).toBe(expected[i]);
        });
      }),
      { numRuns: 60 },
    );
  });
});
