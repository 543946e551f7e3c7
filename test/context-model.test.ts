/**
 * Model-based property test of the context ops, through the outside API (JobContext) on a real job:
 * random op sequences over generated dotted paths and JSON values, each op applied both to the
 * database and to the in-memory model of test/support/context-model.ts. After every op the two agree
 * on the op's answer and on the whole document (key order ignored), or both refuse it with the same
 * error kind. At the end of every sequence: version(), history() and at(v) for every version agree
 * with what the model logged and with the snapshots taken after each op.
 *
 * Plus: a round trip of arbitrary JSON (fast-check's own jsonValue, doubles included), the size caps,
 * a history/time-travel example, and no prototype pollution anywhere.
 */
import fc from 'fast-check';
import { MemFlow, type MemFlowInstance } from 'hotmesh';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Context } from '../src/context/context-handle.js';
import type { JobContext } from '../src/memflow/job-context.js';
import { testConnection, uniqueAppId } from './support/backend.js';
import {
  type Applied,
  applyOp,
  canon,
  emptyDocument,
  importValue,
  type Json,
  type LoggedOp,
  ModelError,
  type ModelOp,
} from './support/context-model.js';

// ---------------------------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------------------------

const COMMON_KEYS = ['a', 'b', 'list', 'n'];
const RARE_KEYS = ['flag', 'user', 'polluted', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__', 'length'];
const NUMERIC_SEGMENTS = ['0', '1', '2', '3'];
const ODD_SEGMENTS = ['é', '日本語', '🙂', 'k e y', 'ключ', 'a-b', '$', '1a', '-', '10', '999999999', '1234567890', 'Ω≈ç', 'null'];
const INVALID_SEGMENTS = ['__proto__', 'constructor', 'prototype', 'bad\u0000', 'tab\t', 'del\u007f', 'x'.repeat(257)];
/** Segments PostgreSQL's `#>` would read as an array index although they are not canonical (see report). */
const NON_CANONICAL_NUMBER = /^\s*[+-]?[0-9]+$/;
const CANONICAL_INDEX = /^(0|[1-9][0-9]*)$/;

const randomSegment = fc
  .string({ unit: 'grapheme', minLength: 1, maxLength: 3 })
  .filter((s) => !s.includes('.') && !(NON_CANONICAL_NUMBER.test(s) && !CANONICAL_INDEX.test(s)));

const segment = fc.oneof(
  { arbitrary: fc.constantFrom(...COMMON_KEYS), weight: 10 },
  { arbitrary: fc.constantFrom(...RARE_KEYS), weight: 2 },
  { arbitrary: fc.constantFrom(...NUMERIC_SEGMENTS), weight: 5 },
  { arbitrary: fc.constantFrom(...ODD_SEGMENTS), weight: 2 },
  { arbitrary: randomSegment, weight: 1 },
  { arbitrary: fc.constantFrom(...INVALID_SEGMENTS), weight: 1 },
);

const pathArb: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.array(segment, { minLength: 1, maxLength: 4 }).map((s) => s.join('.')), weight: 30 },
  { arbitrary: fc.constant(''), weight: 1 },
  // empty segments and too many segments
  { arbitrary: fc.constantFrom('.a', 'a.', 'a..b', '.', 'list..0', Array(33).fill('a').join('.')), weight: 1 },
);

const numberArb = fc.oneof(
  { arbitrary: fc.integer({ min: -1000, max: 1000 }), weight: 6 },
  // dyadic fractions and integers below 2^53: exact in both jsonb numeric and IEEE doubles, so sums agree
  { arbitrary: fc.constantFrom(0.5, -0.25, 1024.125, 2 ** 40, -(2 ** 40), 1e15), weight: 1 },
);

const stringArb = fc.oneof(
  { arbitrary: fc.string({ unit: 'grapheme', maxLength: 5 }), weight: 4 },
  { arbitrary: fc.constantFrom('', 'é', '🙂', 'line\nbreak', 'a.b', 'null', '0', '{"x":1}'), weight: 2 },
  // refused before SQL: NUL and lone surrogates
  { arbitrary: fc.constantFrom('nul\u0000', '\ud800lone', 'x\udc00'), weight: 1 },
);

const leafArb: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: fc.constant(null), weight: 1 },
  { arbitrary: fc.boolean(), weight: 2 },
  { arbitrary: numberArb, weight: 4 },
  { arbitrary: stringArb, weight: 3 },
);

const valueKeyArb = fc.oneof(
  { arbitrary: fc.constantFrom(...COMMON_KEYS), weight: 10 },
  { arbitrary: fc.constantFrom(...RARE_KEYS, ...NUMERIC_SEGMENTS, ...ODD_SEGMENTS, '', 'a.b'), weight: 4 },
  { arbitrary: fc.string({ unit: 'grapheme', maxLength: 4 }), weight: 2 },
  // refused anywhere inside a written value
  { arbitrary: fc.constantFrom('__proto__', 'constructor', 'prototype', 'k\u0000', '\udfff'), weight: 1 },
);

/** An object whose keys are own, enumerable properties, `__proto__` included. */
function buildObject(entries: Array<[string, unknown]>): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const [k, v] of entries) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  return o;
}

function objectArb(depth: number): fc.Arbitrary<Record<string, unknown>> {
  return fc.array(fc.tuple(valueKeyArb, valueArb(depth - 1)), { maxLength: 4 }).map(buildObject);
}

function valueArb(depth: number): fc.Arbitrary<unknown> {
  if (depth <= 0) return leafArb;
  return fc.oneof(
    { arbitrary: leafArb, weight: 4 },
    { arbitrary: fc.array(valueArb(depth - 1), { maxLength: 4 }), weight: 1 },
    { arbitrary: objectArb(depth), weight: 2 },
  );
}

const jsonArb = valueArb(3);
const objArb = objectArb(3);

type GenOp = (ModelOp | { op: 'replay'; pick: number }) & { withId?: boolean };

const withId = fc.boolean();
const opArb: fc.Arbitrary<GenOp> = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant('get' as const), path: fc.option(pathArb, { nil: undefined }) }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('set' as const), path: pathArb, value: jsonArb, withId }), weight: 4 },
  // set(value) replaces the whole document, with anything (scalars included)
  { arbitrary: fc.record({ op: fc.constant('set' as const), value: fc.oneof({ arbitrary: objArb, weight: 3 }, jsonArb), withId }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('merge' as const), path: pathArb, value: objArb, withId }), weight: 3 },
  { arbitrary: fc.record({ op: fc.constant('merge' as const), value: fc.oneof({ arbitrary: objArb, weight: 5 }, jsonArb), withId }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('delete' as const), path: pathArb, withId }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constantFrom('append' as const, 'prepend' as const), path: pathArb, value: jsonArb, withId }), weight: 3 },
  {
    arbitrary: fc.record({
      op: fc.constant('remove' as const),
      path: pathArb,
      index: fc.oneof({ arbitrary: fc.nat(4), weight: 8 }, fc.constantFrom(-1, 1.5, Number.NaN, 2 ** 31, 1e21)),
      withId,
    }),
    weight: 2,
  },
  {
    arbitrary: fc.record({
      op: fc.constant('increment' as const),
      path: pathArb,
      by: fc.oneof({ arbitrary: fc.integer({ min: -50, max: 50 }), weight: 10 }, fc.constantFrom(undefined, Number.NaN, Infinity, '1')),
      withId,
    }),
    weight: 4,
  },
  { arbitrary: fc.record({ op: fc.constant('toggle' as const), path: pathArb, withId }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('setIfNotExists' as const), path: pathArb, value: jsonArb, withId }), weight: 2 },
  // retry an earlier op id: applies once, answers what it answered the first time
  { arbitrary: fc.record({ op: fc.constant('replay' as const), pick: fc.nat() }), weight: 2 },
);

// ---------------------------------------------------------------------------------------------
// Running one op on both sides
// ---------------------------------------------------------------------------------------------

type Outcome = { ok: true; value: unknown } | { ok: false; kind: string; message: string };

function callOp(target: Context, o: ModelOp): Promise<unknown> {
  switch (o.op) {
    case 'get':
      return o.path === undefined ? target.get() : target.get(o.path);
    case 'set':
      return o.path === undefined ? target.set(o.value) : target.set(o.path, o.value);
    case 'merge':
      return o.path === undefined ? target.merge(o.value) : target.merge(o.path, o.value);
    case 'delete':
      return target.delete(o.path);
    case 'append':
      return target.append(o.path, o.value);
    case 'prepend':
      return target.prepend(o.path, o.value);
    case 'remove':
      return target.remove(o.path, o.index as number);
    case 'increment':
      return target.increment(o.path, o.by as number);
    case 'toggle':
      return target.toggle(o.path);
    case 'setIfNotExists':
      return target.setIfNotExists(o.path, o.value);
  }
}

async function dbOutcome(run: () => Promise<unknown>): Promise<Outcome> {
  try {
    return { ok: true, value: await run() };
  } catch (err) {
    const e = err as { kind?: string; code?: string; message?: string };
    return { ok: false, kind: e.kind ?? `untyped error (SQLSTATE ${e.code ?? '?'})`, message: e.message ?? String(err) };
  }
}

function modelOutcome(doc: Json, o: ModelOp): { outcome: Outcome; applied?: Applied } {
  try {
    const applied = applyOp(doc, o);
    return { outcome: { ok: true, value: applied.result }, applied };
  } catch (err) {
    if (err instanceof ModelError) return { outcome: { ok: false, kind: err.kind, message: err.message } };
    throw err;
  }
}

function show(o: Outcome): string {
  return o.ok ? `ok ${canon(o.value)}` : `${o.kind} (${o.message})`;
}

function describeOp(o: unknown): string {
  return JSON.stringify(o, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v === undefined ? '<undefined>' : v));
}

/** The record of an op applied with an op id, for later replays. */
interface IdRecord {
  opId: string;
  op: ModelOp;
  first: Json;
}

// ---------------------------------------------------------------------------------------------

let mf: MemFlowInstance;
let jobs = 0;

async function trivial(): Promise<string> {
  return 'ok';
}

/** A fresh job (its row is all the context needs; no worker has to run it). */
async function newJobContext(): Promise<JobContext> {
  const handle = await mf.workflow.start({ workflowName: 'trivial', taskQueue: 'ctx-model', workflowId: `model-${++jobs}-${Date.now()}` });
  return handle.context();
}

const protoKeysBefore = Reflect.ownKeys(Object.prototype);
const arrayProtoKeysBefore = Reflect.ownKeys(Array.prototype);

beforeAll(async () => {
  mf = await MemFlow.init({ appId: uniqueAppId('ctxmodel'), engine: { connection: testConnection() } });
});
afterAll(async () => {
  await mf.shutdown();
  // nothing a generated path or value contained reached a prototype
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect(Reflect.ownKeys(Object.prototype)).toEqual(protoKeysBefore);
  expect(Reflect.ownKeys(Array.prototype)).toEqual(arrayProtoKeysBefore);
});

describe('context ops against an in-memory model', () => {

  it('random op sequences: the database agrees with the model after every op, and history replays them', async () => {
    const stats = { ops: 0, ok: 0, ValidationError: 0, ContextTypeError: 0, replays: 0 };
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 30 }), async (ops) => {
        const ctx = await newJobContext();
        let doc: Json = emptyDocument();
        const snapshots: string[] = [canon(doc)]; // document after each version
        const logged: Array<LoggedOp & { opId: string | null }> = [];
        const ids: IdRecord[] = [];

        for (const [step, gen] of ops.entries()) {
          const where = () => `step ${step} of ${describeOp(ops)}\n  op: ${describeOp(gen)}`;
          stats.ops++;
          if (gen.op === 'replay') {
            // Retry an op id that was applied. Only when applying the op again would not fail: a retry
            // whose re-application is refused throws instead of answering (see the known-bug test).
            const rec = ids.length > 0 ? ids[gen.pick % ids.length]! : undefined;
            if (!rec || !modelOutcome(doc, rec.op).outcome.ok) continue;
            stats.replays++;
            const got = await dbOutcome(() => callOp(ctx.withOpId(rec.opId), rec.op));
            if (!got.ok || canon(got.value) !== canon(rec.first)) {
              throw new Error(`${where()}\n  replay of ${rec.opId} ${describeOp(rec.op)}\n  db: ${show(got)}\n  first answer: ${canon(rec.first)}`);
            }
            const now = await ctx.get();
            if (canon(now) !== canon(doc)) throw new Error(`${where()}\n  replay changed the document: ${canon(now)} != ${canon(doc)}`);
            continue;
          }

          const o = gen as ModelOp & { withId?: boolean };
          const { withId: useId, ...op } = o;
          const opId = useId && op.op !== 'get' ? `op-${step}` : undefined;
          const expected = modelOutcome(doc, op as ModelOp);
          const got = await dbOutcome(() => callOp(opId ? ctx.withOpId(opId) : ctx, op as ModelOp));

          if (expected.outcome.ok !== got.ok || (expected.outcome.ok ? canon(expected.outcome.value) !== canon((got as { value: unknown }).value) : (expected.outcome as { kind: string }).kind !== (got as { kind: string }).kind)) {
            throw new Error(`${where()}\n  document before: ${canon(doc)}\n  model: ${show(expected.outcome)}\n  db:    ${show(got)}`);
          }
          stats[got.ok ? 'ok' : (got.kind as 'ValidationError' | 'ContextTypeError')]++;
          if (expected.applied) {
            doc = expected.applied.doc;
            if (expected.applied.logged) {
              logged.push({ ...expected.applied.logged, opId: opId ?? null });
              snapshots.push(canon(doc));
              if (opId) ids.push({ opId, op: op as ModelOp, first: expected.applied.result });
            }
          }
          const whole = await ctx.get();
          if (canon(whole) !== canon(doc)) throw new Error(`${where()}\n  document: db ${canon(whole)}\n  model ${canon(doc)}`);
        }

        // version, history and time travel
        expect(await ctx.version()).toBe(logged.length);
        // sorted here: the order history() answers in is checked by its own test below (known bug)
        const history = (await ctx.history()).sort((x, y) => x.version - y.version);
        expect(history.map((h) => h.version)).toEqual(logged.map((_, i) => i + 1));
        expect(history.map((h) => ({ op: h.op, path: h.path, arg: canon(h.arg), actor: h.actor, opId: h.opId }))).toEqual(
          logged.map((l) => ({ op: l.op, path: l.path, arg: canon(l.arg), actor: 'client', opId: l.opId })),
        );
        for (let v = 0; v < snapshots.length; v++) {
          if (snapshots[v] === 'null') continue; // at() answers {} for a null document (known bug, own test below)
          const then = await ctx.at(v);
          if (canon(then) !== snapshots[v]) throw new Error(`at(${v}) = ${canon(then)}, snapshot ${snapshots[v]}\n  ops: ${describeOp(ops)}`);
        }
      }),
      { numRuns: Number(process.env.CONTEXT_MODEL_RUNS ?? 300) },
    );
    if (process.env.CONTEXT_MODEL_STATS) console.log(JSON.stringify(stats));
    // the generators really do exercise all three outcomes
    expect(stats.ok).toBeGreaterThan(stats.ops / 3);
    expect(stats.ValidationError).toBeGreaterThan(0);
    expect(stats.ContextTypeError).toBeGreaterThan(0);
    expect(stats.replays).toBeGreaterThan(0);
  }, 180_000); // 300 sequences: 47 s in a full run, where the default 60 s left too little room

  it('round-trips arbitrary JSON (doubles, unicode) through set/get, or refuses it as the model does', async () => {
    const ctx = await newJobContext();
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 3 }), fc.constantFrom('v', 'deep.er.path', '0', 'ünï.🙂'), async (value, path) => {
        await ctx.set({});
        let expected: Json;
        try {
          expected = importValue(value);
        } catch (err) {
          await expect(ctx.set(path, value)).rejects.toMatchObject({ kind: (err as ModelError).kind });
          return;
        }
        await ctx.set(path, value);
        expect(canon(await ctx.get(path))).toBe(canon(expected));
      }),
      { numRuns: 100 },
    );
  });

  it('enforces the size caps with PayloadTooLargeError, leaving the document unchanged', async () => {
    const ctx = await newJobContext();
    // one value over 512 KiB: refused before SQL
    await expect(ctx.set('big', 'x'.repeat(600 * 1024))).rejects.toMatchObject({ kind: 'PayloadTooLargeError' });
    // two values under the per-value cap, together over the 1 MiB document cap: refused by SQL
    await ctx.set('one', 'y'.repeat(500 * 1024));
    await ctx.set('two', 'z'.repeat(500 * 1024));
    await expect(ctx.set('three', 'w'.repeat(100 * 1024))).rejects.toMatchObject({ kind: 'PayloadTooLargeError' });
    expect(Object.keys(await ctx.get()).sort()).toEqual(['one', 'two']);
    expect(await ctx.version()).toBe(2);
    // too deep: refused before SQL
    let deep: unknown = 1;
    for (let i = 0; i < 70; i++) deep = [deep];
    await expect(ctx.set('deep', deep)).rejects.toMatchObject({ kind: 'ValidationError' });
  });

  // Fix: history() answered [] and at(v) answered {} for a job that does not exist; every other read
  // and write rejects with JobNotFoundError (README "Permanent memory from the outside").
  it('every read and write of a job that does not exist rejects with JobNotFoundError, history and at(v) too', async () => {
    const ghost = await mf.workflow.context(`no-such-job-${Date.now()}`);
    for (const [what, call] of [
      ['get', () => ghost.get()],
      ['set', () => ghost.set('a', 1)],
      ['version', () => ghost.version()],
      ['history', () => ghost.history()],
      ['at(0)', () => ghost.at(0)],
      ['at(3)', () => ghost.at(3)],
    ] as const) {
      await expect(call(), what).rejects.toMatchObject({ kind: 'JobNotFoundError', code: 404 });
    }
    // a job that exists, with no change yet: an empty history and an empty document, not an error
    const fresh = await newJobContext();
    expect(await fresh.history()).toEqual([]);
    expect(await fresh.at(0)).toEqual({});
  });

  it('history lists ops in order with op/path/actor; version() counts them; at(v) rebuilds each version', async () => {
    const ctx = await newJobContext();
    const admin = await mf.workflow.context(ctx.workflowId, { actor: 'admin' });
    const steps: Array<[Context, () => Promise<unknown>, string, string[], string]> = [
      [ctx, () => ctx.set({ user: { name: 'Jane' }, tags: [] }), 'set', [], 'client'],
      [ctx, () => ctx.merge('user', { age: 41, address: { city: 'Oslo' } }), 'merge', ['user'], 'client'],
      [admin, () => admin.append('tags', 'a'), 'append', ['tags'], 'admin'],
      [ctx, () => ctx.prepend('tags', { first: true }), 'prepend', ['tags'], 'client'],
      [ctx, () => ctx.increment('stats.count', 5), 'increment', ['stats', 'count'], 'client'],
      [admin, () => admin.toggle('flags.on'), 'toggle', ['flags', 'on'], 'admin'],
      [ctx, () => ctx.setIfNotExists('user.name', 'Ignored'), 'setIfNotExists', ['user', 'name'], 'client'],
      [ctx, () => ctx.remove('tags', 0), 'remove', ['tags'], 'client'],
      [ctx, () => ctx.withOpId('once').increment('stats.count', -2), 'increment', ['stats', 'count'], 'client'],
      [ctx, () => ctx.delete('user.address'), 'delete', ['user', 'address'], 'client'],
      [ctx, () => ctx.set('tags.1', 'b'), 'set', ['tags', '1'], 'client'],
    ];
    const snapshots: unknown[] = [{}];
    for (const [, run] of steps) {
      await run();
      snapshots.push(await ctx.get());
    }
    // refused ops are not versions
    await expect(ctx.increment('user.name')).rejects.toMatchObject({ kind: 'ContextTypeError' });
    await expect(ctx.set('a..b', 1)).rejects.toMatchObject({ kind: 'ValidationError' });
    // a retried op id is not a version either, and answers what it answered first
    expect(await ctx.withOpId('once').increment('stats.count', -2)).toBe(3);

    expect(await ctx.version()).toBe(steps.length);
    // sorted here: history() answers versions 10+ out of order (known bug, own test below)
    const history = (await ctx.history()).sort((x, y) => x.version - y.version);
    expect(history.map((h) => [h.version, h.op, h.path, h.actor])).toEqual(steps.map(([, , op, path, actor], i) => [i + 1, op, path, actor]));
    expect(history[8]!.opId).toBe('once');
    expect(history.filter((h) => h.opId !== null)).toHaveLength(1);
    expect(history.every((h) => h.at instanceof Date)).toBe(true);
    expect(await ctx.history({ afterVersion: 9 })).toHaveLength(2);
    for (let v = 0; v <= steps.length; v++) expect(canon(await ctx.at(v))).toBe(canon(snapshots[v]));
    expect(snapshots.at(-1)).toEqual({ user: { name: 'Jane', age: 41 }, tags: ['a', 'b'], stats: { count: 3 }, flags: { on: true } });
  });
});

/**
 * Deviations from the documented semantics that the tests above found (each failed before its fix:
 * src/sql/queries/context.ts, src/memflow/job-context.ts, src/context/context-path.ts and
 * migration 0005).
 */
describe('regressions in the context API', () => {

  // contextHistory: `SELECT version::text AS version ... ORDER BY version` sorts by the text alias
  it('history() answers in version order, and its limit keeps the first versions (ORDER BY sorts the text alias)', async () => {
    const ctx = await newJobContext();
    for (let i = 0; i < 11; i++) await ctx.increment('n');
    expect((await ctx.history()).map((h) => h.version)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect((await ctx.history({ limit: 3 })).map((h) => h.version)).toEqual([1, 2, 3]); // was [1, 10, 11]
  });

  // JobContext.at(): `res.rows[0]?.context ?? {}` turns a null document into {}
  it('at(v) answers a null document as null, not {}', async () => {
    const ctx = await newJobContext();
    await ctx.set(null);
    expect(await ctx.get()).toBeNull();
    expect(await ctx.at(1)).toBeNull();
  });

  // contextOpOutside applies the op first and only detects the duplicate op id when logging it, so a
  // retry whose re-application is refused throws instead of answering what the first call answered
  it('a retried op id answers its first result even after the value changed type', async () => {
    const ctx = await newJobContext();
    expect(await ctx.withOpId('inc-1').increment('n')).toBe(1);
    await ctx.set('n', 'now a string');
    expect(await ctx.withOpId('inc-1').increment('n')).toBe(1); // was ContextTypeError
  });

  // context_delete_path returns the document unchanged for a path through a scalar, and context_op
  // still bumped the version and logged the op: the silent no-op the README rules out (migration 0057)
  it('delete through a scalar is a ContextTypeError and no version; a missing or null parent is no change', async () => {
    const ctx = await newJobContext();
    await ctx.set({ s: 'str', n: 5, b: true, nil: null, list: [1, { k: 1 }] });
    const before = await ctx.version();
    for (const path of ['s.x', 'n.x.y', 'b.x', 'list.0.x', 'list.1.k.z']) {
      await expect(ctx.delete(path), path).rejects.toMatchObject({ kind: 'ContextTypeError', path, found: expect.stringContaining('path through a') });
    }
    expect(await ctx.version()).toBe(before);
    expect(await ctx.history()).toHaveLength(before);
    // not type clashes: nothing there to remove
    for (const path of ['missing.x', 'nil.x', 'list.9.x', 'list.1.j.z']) await ctx.delete(path);
    expect(await ctx.get()).toEqual({ s: 'str', n: 5, b: true, nil: null, list: [1, { k: 1 }] });
    expect(await ctx.delete('list.1.k')).toEqual({ s: 'str', n: 5, b: true, nil: null, list: [1, {}] });
  });

  // numeric held 2e308; JavaScript read it back as Infinity, and the document's JSON as null
  it('an increment past the range of a double is a ContextTypeError, the value kept', async () => {
    const ctx = await newJobContext();
    expect(await ctx.increment('big', 1e308)).toBe(1e308);
    await expect(ctx.increment('big', 1e308)).rejects.toMatchObject({ kind: 'ContextTypeError', path: 'big' });
    await expect(ctx.increment('big', -1e308 * 1.5)).resolves.toBe(-5e307);
    expect(await ctx.get('big')).toBe(-5e307);
    expect(await ctx.version()).toBe(2);
  });

  // parsePath does not refuse lone surrogates; the driver encodes them as U+FFFD, so distinct paths alias
  it('path segments with lone surrogates are refused, or at least kept apart', async () => {
    const ctx = await newJobContext();
    const first = await ctx.set('k\ud800', 1).then(
      () => 'written',
      (e) => e.kind,
    );
    if (first === 'ValidationError') return;
    await ctx.set('k\udc00', 2);
    expect(await ctx.get('k\ud800')).toBe(1); // was 2: both keys became 'k\ufffd'
  });

  // get() and delete() follow PostgreSQL's `#>`/`#-` (negative and zero-padded indexes count), writes
  // follow context_set_path (only canonical non-negative integers index an array)
  it('reads and writes agree on which segments index an array', async () => {
    const ctx = await newJobContext();
    await ctx.set('list', [1, 2, 3]);
    for (const seg of ['-1', '01', '+1', ' 1']) {
      const read = await ctx.get(`list.${seg}`);
      const write = await ctx.set(`list.${seg}`, 9).then(
        () => 'written',
        (e) => e.kind,
      );
      expect({ seg, readsAnElement: read !== null }).toEqual({ seg, readsAnElement: write === 'written' }); // reads used to see 3 / 2 while the write was refused
    }
  });
});
