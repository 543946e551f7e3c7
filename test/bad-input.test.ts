/**
 * Bad and hostile input, end to end, on both backends.
 *
 * 1. Before anything opens: every bad appId / namespace / taskQueue / workflowName / workflowId /
 *    signalId / payload is refused with a typed ValidationError (naming field and rule) before any I/O:
 *    the promise settles before a single macrotask could run, no driver method, pool connection or
 *    PGlite instance is touched (spies on both drivers), and on Postgres the catalog is unchanged.
 * 2. With a live app: the same inputs through a live app and inside workflows (sleepFor, waitFor,
 *    signal, context ops) fail typed without touching the data; hostile values that are legal
 *    (quotes, `; DROP SCHEMA`, `$$`, backslashes, 200-byte names, `__proto__`, `App` vs `app`, ...)
 *    round-trip byte for byte as workflow ids, args, task queues, workflow names, signal ids and
 *    context keys; `a-b` and `a_b` appIds collide with AppSchemaConflictError.
 * 3. No prototype pollution anywhere.
 */
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, type MockInstance, vi } from 'vitest';
import type { Engine } from '../src/engine/engine.js';
import { openDriverKeys } from '../src/storage/connection.js';
import {
  AppSchemaConflictError,
  DuplicateJobError,
  isHotMeshError,
  MemFlow,
  type MemFlowInstance,
  ValidationError,
  WorkflowFailedError,
} from '../src/index.js';
import { PgliteDriver } from '../src/storage/pglite/pglite-driver.js';
import { PostgresDriver } from '../src/storage/postgres/postgres-driver.js';
import { schemaForApp } from '../src/storage/sql-identifier.js';
import { backend, POSTGRES_URL, testConnection, uniqueAppId } from './support/backend.js';

// ---------------------------------------------------------------------------------------------
// Prototype baselines, taken before anything of the engine ran.
const OBJECT_PROTO_KEYS = Reflect.ownKeys(Object.prototype).map(String).sort();
const ARRAY_PROTO_KEYS = Reflect.ownKeys(Array.prototype).map(String).sort();
const FUNCTION_PROTO_KEYS = Reflect.ownKeys(Function.prototype).map(String).sort();

// ---------------------------------------------------------------------------------------------
// The hostile corpus, and in which roles each entry is legal (L) or must be refused (R).
// Roles: app = appId, q = taskQueue, name = workflowName, id = workflowId / signalId, key = context key.
type Role = 'app' | 'q' | 'name' | 'id' | 'key';
interface Hostile {
  label: string;
  value: string;
  legal: Role[];
}
const CORPUS: Hostile[] = [
  { label: 'single quote', value: "'", legal: ['id', 'key'] },
  { label: 'double quote', value: '"', legal: ['id', 'key'] },
  { label: 'DROP SCHEMA', value: 'x"; DROP SCHEMA public CASCADE; --', legal: ['id', 'key'] },
  // 20 s: long enough that a generous bound on the calls below (load) still tells an injected sleep apart
  { label: 'pg_sleep', value: "x'); select pg_sleep(20); --", legal: ['id', 'key'] },
  { label: 'dollar quotes', value: '$$', legal: ['name', 'id', 'key'] },
  { label: 'backslash', value: '\\', legal: ['id', 'key'] },
  { label: 'NUL', value: 'a\u0000b', legal: [] },
  { label: '200 ASCII bytes', value: 'x'.repeat(200), legal: ['id', 'key'] },
  { label: '200 UTF-8 bytes', value: 'é'.repeat(100), legal: ['id', 'key'] },
  { label: '__proto__', value: '__proto__', legal: ['id'] },
  { label: 'App', value: 'App', legal: ['q', 'name', 'id', 'key'] },
  { label: 'app', value: 'app', legal: ['app', 'q', 'name', 'id', 'key'] },
  { label: 'a-b', value: 'a-b', legal: ['app', 'q', 'id', 'key'] },
  { label: 'a_b', value: 'a_b', legal: ['app', 'q', 'name', 'id', 'key'] },
  { label: 'pg_temp', value: 'pg_temp', legal: ['q', 'name', 'id', 'key'] },
  { label: 'public', value: 'public', legal: ['q', 'name', 'id', 'key'] },
  { label: 'information_schema', value: 'information_schema', legal: ['q', 'name', 'id', 'key'] },
];
const refusedAs = (role: Role) => CORPUS.filter((h) => !h.legal.includes(role)).map((h): [string, unknown] => [h.label, h.value]);
const legalAs = (role: Role) => CORPUS.filter((h) => h.legal.includes(role)).map((h) => h.value);

/** Values that are not JSON, or that jsonb cannot hold. */
const cyclic: Record<string, unknown> = { name: 'loop' };
cyclic.self = cyclic;
const NOT_JSON: Array<[string, unknown, RegExp]> = [
  ['function', () => 1, /is a function/],
  ['BigInt', 10n, /is a bigint/],
  ['Symbol', Symbol('s'), /is a symbol/],
  ['cyclic object', cyclic, /circular/],
  ['Map', new Map([['a', 1]]), /is a Map/],
  ['Set', new Set([1]), /is a Set/],
  ['NaN', NaN, /is NaN/],
  ['Infinity', Infinity, /is Infinity/],
  ['-Infinity', -Infinity, /is -Infinity/],
  ['string with NUL', 'a\u0000b', /NUL/],
  ['lone high surrogate', 'a\ud800b', /surrogate/],
  ['lone low surrogate', '\udc00', /surrogate/],
  ['key with NUL', { ['k\u0000']: 1 }, /NUL/],
  ['nested function', { deep: [{ fn: () => 1 }] }, /\.deep\[0\]\.fn is a function/],
  ['toJSON yielding NUL', { toJSON: () => 'x\u0000y' }, /NUL/],
  ['toJSON yielding a lone surrogate', { toJSON: () => ({ s: '\ud800' }) }, /surrogate/],
];

const BAD_IDS: Array<[string, unknown, RegExp]> = [
  ['NUL', 'a\u0000b', /control characters/],
  ['newline', 'a\nb', /control characters/],
  ['tab', '\t', /control characters/],
  ['DEL', 'a\u007f', /control characters/],
  ['256 bytes', 'x'.repeat(256), /at most 255 bytes/],
  ['256 UTF-8 bytes', 'é'.repeat(128), /at most 255 bytes/],
  ['lone surrogate', 'a\ud800', /lone surrogates/],
  ['number', 42, /must be a string \(got number\)/],
  ['object', { id: 'x' }, /must be a string \(got object\)/],
  ['array', ['x'], /must be a string \(got object\)/],
];

const BAD_APP_IDS: Array<[string, unknown]> = [
  ...refusedAs('app'),
  ['empty', ''],
  ['49 characters', 'a'.repeat(49)],
  ['pg_catalog', 'pg_catalog'],
  ['pg- via dash', 'pg-x'],
  ['information-schema (maps to information_schema)', 'information-schema'],
  ['hotmesh_registry', 'hotmesh_registry'],
  ['hotmesh-registry (maps to hotmesh_registry)', 'hotmesh-registry'],
  ['leading digit', '1app'],
  ['space', 'my app'],
  ['dot', 'my.app'],
  ['number', 42],
  ['object', { appId: 'x' }],
  ['array', ['app']],
];

// ---------------------------------------------------------------------------------------------
// Helpers.

interface ErrInfo {
  typed: boolean;
  kind?: string;
  field?: string;
  rule?: string;
  message: string;
}
function describeError(err: unknown): ErrInfo {
  const e = err as Partial<ValidationError> & { message?: string };
  return { typed: err instanceof ValidationError, kind: isHotMeshError(err) ? err.kind : undefined, field: e?.field, rule: e?.rule, message: String(e?.message) };
}

function checkValidation(err: unknown, field: string | RegExp, rule?: RegExp): ValidationError {
  expect(err, `expected a ValidationError, got ${String(err)}`).toBeInstanceOf(ValidationError);
  const v = err as ValidationError;
  expect(v.kind).toBe('ValidationError');
  if (typeof field === 'string') expect(v.field).toBe(field);
  else expect(v.field).toMatch(field);
  if (rule) expect(v.rule).toMatch(rule);
  expect(v.message).toBe(`Invalid ${v.field}: ${v.rule}`);
  return v;
}

const PENDING = Symbol('still pending');
/**
 * Await a promise that must reject, and require it to settle before one macrotask could run: a call
 * that opened a socket, or ran a query on either driver, cannot settle that fast.
 */
async function rejectsBeforeIo(promise: Promise<unknown>): Promise<unknown> {
  const outcome = await Promise.race([
    promise.then(
      (value) => ({ resolved: value }),
      (error: unknown) => ({ error }),
    ),
    new Promise<typeof PENDING>((resolve) => setImmediate(() => resolve(PENDING))),
  ]);
  expect(outcome, 'settled only after I/O could have run').not.toBe(PENDING);
  expect(outcome).not.toHaveProperty('resolved');
  return (outcome as { error: unknown }).error;
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
    },
    (error: unknown) => error,
  );
}

interface Db {
  query(sql: string, params?: unknown[]): Promise<{ rows: any[] }>;
}

interface Catalog {
  schemas: Set<string>;
  /** Relations in the system schemas a DROP / CREATE injection would touch. */
  systemRelations: number;
  /** Relations per schema. */
  relations: Map<string, number>;
  registered: Map<string, string>; // schema -> app id
}

async function snapshot(db: Db): Promise<Catalog> {
  const schemas = await db.query('SELECT nspname FROM pg_namespace');
  const rels = await db.query('SELECT n.nspname, count(c.oid)::int AS n FROM pg_namespace n LEFT JOIN pg_class c ON c.relnamespace = n.oid GROUP BY n.nspname');
  const hasRegistry = await db.query(`SELECT to_regclass('hotmesh_registry.apps') IS NOT NULL AS ok`);
  const registered = hasRegistry.rows[0].ok ? (await db.query('SELECT app_id, schema_name FROM hotmesh_registry.apps')).rows : [];
  const relations = new Map<string, number>(rels.rows.map((r) => [r.nspname as string, Number(r.n)]));
  return {
    schemas: new Set(schemas.rows.map((r) => r.nspname as string)),
    systemRelations: ['public', 'pg_catalog', 'information_schema'].reduce((sum, s) => sum + (relations.get(s) ?? 0), 0),
    relations,
    registered: new Map(registered.map((r) => [r.schema_name as string, r.app_id as string])),
  };
}

/**
 * Nothing changed except `intended` schemas. On Postgres other test files run at the same time and
 * create (and drop) their own app schemas: those are allowed when they are registered app schemas.
 * PGlite is private to this file, so there the diff must be exactly `intended`.
 */
function expectCatalogUnchanged(before: Catalog, after: Catalog, intended: string[] = [], watched: string[] = []): void {
  const added = [...after.schemas].filter((s) => !before.schemas.has(s)).sort();
  const removed = [...before.schemas].filter((s) => !after.schemas.has(s)).sort();
  for (const s of ['public', 'information_schema', 'pg_catalog', 'pg_toast']) expect(after.schemas.has(s), `schema ${s} still there`).toBe(true);
  expect(after.systemRelations, 'relations in public / pg_catalog / information_schema').toBe(before.systemRelations);
  for (const s of intended) expect(added, `intended schema ${s} created`).toContain(s);
  for (const s of watched) expect(after.relations.get(s), `relations in ${s}`).toBe(before.relations.get(s));
  if (backend === 'pglite') {
    expect(added).toEqual([...intended].sort());
    expect(removed).toEqual([]);
  } else {
    for (const s of added.filter((a) => !intended.includes(a))) {
      expect(after.registered.has(s), `unexpected schema ${JSON.stringify(s)} appeared`).toBe(true);
    }
    for (const s of removed) expect(before.registered.has(s), `schema ${JSON.stringify(s)} disappeared`).toBe(true);
  }
  // No schema whatsoever derived from a refused appId.
  for (const [, appId] of BAD_APP_IDS) {
    if (typeof appId !== 'string') continue;
    for (const candidate of new Set([appId, appId.toLowerCase(), appId.replaceAll('-', '_'), appId.slice(0, 63)])) {
      if (before.schemas.has(candidate)) continue; // public, information_schema, ...
      expect(after.schemas.has(candidate), `schema for refused appId ${JSON.stringify(appId)}`).toBe(false);
      expect([...after.registered.values()]).not.toContain(appId);
    }
  }
}

/** A function with an arbitrary `.name` (what Worker.create registers it under). */
function named<F extends (...args: any[]) => unknown>(name: string, fn: F): F {
  Object.defineProperty(fn, 'name', { value: name });
  return fn;
}

// ---------------------------------------------------------------------------------------------
// Workflows.

async function echo(...args: unknown[]) {
  const c = MemFlow.workflow.getContext();
  return { id: c.workflowId, topic: c.workflowTopic, args };
}

async function sleepy(duration: unknown) {
  await MemFlow.workflow.sleepFor(duration as string);
  return 'slept';
}

async function sleepProbe(durations: unknown[]) {
  const out: ErrInfo[] = [];
  for (const d of durations) {
    try {
      await MemFlow.workflow.sleepFor(d as string);
      out.push({ typed: false, message: 'accepted' });
    } catch (err) {
      out.push(describeError(err));
    }
  }
  return out;
}

type Ctx = Awaited<ReturnType<typeof MemFlow.workflow.context>>;
const BAD_PATHS: unknown[] = ['a..b', '.a', 'a.', '.', '__proto__', 'constructor.prototype', 'a.__proto__.polluted', 'prototype', 'a\u0000b', 123, ['a'], { a: 1 }, true];
const CONTEXT_OPS: Array<[string, (ctx: Ctx, path: any) => Promise<unknown>]> = [
  ['get', (ctx, p) => ctx.get(p)],
  ['set', (ctx, p) => ctx.set(p, 'clobbered')],
  ['merge', (ctx, p) => ctx.merge(p, { clobbered: true })],
  ['delete', (ctx, p) => ctx.delete(p)],
  ['append', (ctx, p) => ctx.append(p, 1)],
  ['prepend', (ctx, p) => ctx.prepend(p, 1)],
  ['remove', (ctx, p) => ctx.remove(p, 0)],
  ['increment', (ctx, p) => ctx.increment(p, 1)],
  ['toggle', (ctx, p) => ctx.toggle(p)],
  ['setIfNotExists', (ctx, p) => ctx.setIfNotExists(p, 1)],
];
/** Values that try to smuggle prototype keys (or non-JSON) into the context. */
const BAD_CONTEXT_WRITES: Array<[string, (ctx: Ctx) => Promise<unknown>, string]> = [
  ['set __proto__ value', (ctx) => ctx.set('keep', JSON.parse('{"__proto__":{"polluted":"ctx"}}')), 'set value'],
  ['merge constructor.prototype', (ctx) => ctx.merge({ constructor: { prototype: { polluted: 'ctx' } } }), 'merge value'],
  ['append prototype key', (ctx) => ctx.append('list', { prototype: { polluted: 'ctx' } }), 'append value'],
  ['set function', (ctx) => ctx.set('keep', () => 1), 'set value'],
  ['set cyclic', (ctx) => ctx.set('keep', cyclic), 'set value'],
  ['set BigInt', (ctx) => ctx.set('keep', 1n), 'set value'],
  ['set undefined at a path', (ctx) => ctx.set('keep', undefined), 'set value'],
  ['merge a non-object', (ctx) => ctx.merge('keep', 5), 'merge value'],
  ['increment by NaN', (ctx) => ctx.increment('n', NaN), 'increment value'],
  ['remove index -1', (ctx) => ctx.remove('list', -1), 'remove index'],
];

async function contextProbe() {
  const ctx = await MemFlow.workflow.context();
  await ctx.set({ keep: 1, list: [1], n: 1 });
  const results: Array<{ label: string } & ErrInfo> = [];
  for (const path of BAD_PATHS) {
    for (const [op, run] of CONTEXT_OPS) {
      const label = `${op}(${typeof path === 'string' ? JSON.stringify(path) : String(JSON.stringify(path))})`;
      try {
        await run(ctx, path);
        results.push({ label, typed: false, message: 'accepted' });
      } catch (err) {
        results.push({ label, ...describeError(err) });
      }
    }
  }
  for (const [label, run] of BAD_CONTEXT_WRITES) {
    try {
      await run(ctx);
      results.push({ label, typed: false, message: 'accepted' });
    } catch (err) {
      results.push({ label, ...describeError(err) });
    }
  }
  return { results, doc: await ctx.get() };
}

async function contextKeys(keys: string[]) {
  const ctx = await MemFlow.workflow.context();
  for (const k of keys) await ctx.set(k, { k });
  const got: unknown[] = [];
  for (const k of keys) got.push(await ctx.get(k));
  await ctx.increment(`${keys[0]}.count`, 2);
  return { got, count: await ctx.get(`${keys[0]}.count`) };
}

async function signalProbe() {
  const out: Array<{ label: string } & ErrInfo> = [];
  const attempt = async (label: string, fn: () => Promise<unknown>) => {
    try {
      await fn();
      out.push({ label, typed: false, message: 'accepted' });
    } catch (err) {
      out.push({ label, ...describeError(err) });
    }
  };
  for (const [label, id] of BAD_IDS) {
    await attempt(`waitFor ${label}`, () => MemFlow.workflow.waitFor(id as string));
    await attempt(`signal ${label}`, () => MemFlow.workflow.signal(id as string, 1));
  }
  for (const [label, value] of NOT_JSON) await attempt(`signal data ${label}`, () => MemFlow.workflow.signal('ok', value));
  return out;
}

async function signalEcho(ids: string[]) {
  const got: unknown[] = [];
  for (const id of ids) got.push(await MemFlow.workflow.waitFor(id));
  return got;
}

// ---------------------------------------------------------------------------------------------

let pgCatalog: pg.Client | undefined;
beforeAll(async () => {
  if (backend === 'postgres') {
    pgCatalog = new pg.Client({ connectionString: POSTGRES_URL });
    await pgCatalog.connect();
  }
});
afterAll(async () => {
  await MemFlow.shutdown();
  await pgCatalog?.end();
});

describe('refused before any I/O (nothing opened yet)', () => {
  const spies: MockInstance[] = [];
  let before: Catalog | undefined;
  const connection = testConnection();
  const fn = async function harmless() {
    return 1;
  };

  beforeAll(async () => {
    expect(openDriverKeys(), 'no database may be open before this block').toEqual([]);
    if (pgCatalog) before = await snapshot(pgCatalog);
    for (const proto of [PostgresDriver.prototype, PgliteDriver.prototype]) {
      for (const m of ['query', 'exec', 'transaction', 'listen'] as const) spies.push(vi.spyOn(proto, m));
    }
    spies.push(vi.spyOn(pg.Pool.prototype, 'connect'), vi.spyOn(pg.Pool.prototype, 'query'), vi.spyOn(PGlite, 'create'));
  });
  beforeEach(() => {
    for (const spy of spies) spy.mockClear(); // a failure stays with the test that caused it
  });
  afterEach(() => {
    for (const spy of spies) expect(spy, `${spy.getMockName()} must not run`).not.toHaveBeenCalled();
  });
  afterAll(() => {
    for (const spy of spies) spy.mockRestore();
  });

  it.each(BAD_APP_IDS)('MemFlow.init refuses appId %s', async (_label, appId) => {
    const started = performance.now();
    const err = await rejectsBeforeIo(MemFlow.init({ appId: appId as string, engine: { connection } }));
    expect(performance.now() - started).toBeLessThan(10_000); // pg_sleep(20) never ran (the spies show no I/O at all)
    checkValidation(err, 'appId', typeof appId === 'string' ? /lower-case letters|reserved/ : /must be a string/);
    // The alias takes the same path.
    checkValidation(await rejectsBeforeIo(MemFlow.init({ namespace: appId as string, connection })), 'appId');
  });

  it.each(BAD_APP_IDS)('Client and Worker refuse namespace %s', async (_label, ns) => {
    const client = new MemFlow.Client({ connection });
    const namespace = ns as string;
    const calls = [
      client.workflow.start({ taskQueue: 'q', workflowName: 'harmless', namespace }),
      client.workflow.signal('sig', { ok: 1 }, namespace),
      client.workflow.getHandle('q', 'harmless', 'job-1', namespace),
      client.workflow.context('job-1', { namespace }),
      client.workflow.hook({ workflowId: 'job-1', taskQueue: 'q', workflowName: 'harmless', namespace }),
      MemFlow.Worker.create({ connection, taskQueue: 'q', workflow: fn, namespace }),
    ];
    for (const call of calls) checkValidation(await rejectsBeforeIo(call), 'appId');
  });

  it.each([...refusedAs('q'), ['empty', ''], ['129 characters', 'q'.repeat(129)], ['leading dash', '-q'], ['space', 'a q'], ['number', 7]])(
    'refuses taskQueue %s',
    async (_label, taskQueue) => {
      const client = new MemFlow.Client({ connection });
      const q = taskQueue as string;
      const rule = typeof taskQueue === 'string' ? /must match/ : /must be a string \(got number\)/;
      checkValidation(await rejectsBeforeIo(client.workflow.start({ taskQueue: q, workflowName: 'harmless' })), 'taskQueue', rule);
      checkValidation(await rejectsBeforeIo(MemFlow.Worker.create({ connection, taskQueue: q, workflow: fn })), 'taskQueue', rule);
      checkValidation(await rejectsBeforeIo(client.workflow.hook({ workflowId: 'job-1', taskQueue: q, workflowName: 'harmless' })), 'taskQueue', rule);
    },
  );

  it.each([...refusedAs('name'), ['constructor', 'constructor'], ['prototype', 'prototype'], ['kebab', 'send-email'], ['empty', ''], ['number', 5]])(
    'refuses workflowName %s',
    async (_label, workflowName) => {
      const client = new MemFlow.Client({ connection });
      const err = checkValidation(
        await rejectsBeforeIo(client.workflow.start({ taskQueue: 'q', workflowName: workflowName as string })),
        'workflowName',
      );
      const hook = client.workflow.hook({ workflowId: 'job-1', taskQueue: 'q', workflowName: workflowName as string });
      expect(checkValidation(await rejectsBeforeIo(hook), 'workflowName').rule).toBe(err.rule);
      if (typeof workflowName === 'string' && ['__proto__', 'constructor', 'prototype'].includes(workflowName)) {
        expect(err.rule).toBe(`must not be '${workflowName}'`);
      } else if (typeof workflowName === 'string') {
        expect(err.rule).toMatch(/JavaScript identifier/);
      }
      // The same name on a worker's function.
      if (typeof workflowName === 'string') {
        const worker = MemFlow.Worker.create({ connection, taskQueue: 'q', workflow: named(workflowName, async () => 1) });
        checkValidation(await rejectsBeforeIo(worker), 'workflow function name');
      }
    },
  );

  it("refuses the workflow name 'activity' (its topic is the remote activities' topic of the queue)", async () => {
    const client = new MemFlow.Client({ connection });
    const rule = /must not be 'activity'/;
    checkValidation(await rejectsBeforeIo(client.workflow.start({ taskQueue: 'q', workflowName: 'activity' })), 'workflowName', rule);
    checkValidation(await rejectsBeforeIo(client.workflow.hook({ workflowId: 'job-1', taskQueue: 'q', workflowName: 'activity' })), 'workflowName', rule);
    const worker = MemFlow.Worker.create({ connection, taskQueue: 'q', workflow: named('activity', async () => 1) });
    checkValidation(await rejectsBeforeIo(worker), 'workflow function name', rule);
  });

  it('refuses worker functions registered under prototype keys or no name', async () => {
    const protoKey = { ['__proto__']: async function () {} }; // computed key: an own property, name '__proto__'
    expect(Object.keys(protoKey)).toEqual(['__proto__']);
    const cases: Array<[unknown, string, RegExp]> = [
      [protoKey, 'workflow function name', /^must not be '__proto__'$/],
      [{ constructor: async () => 1 }, 'workflow function name', /^must not be 'constructor'$/],
      [[async () => 1][0], 'workflow function name', /JavaScript identifier/], // anonymous: name ''
      [{}, 'workflow', /named function/],
      ['harmless', 'workflow', /named function/],
      [null, 'workflow', /named function/],
    ];
    for (const [workflow, field, rule] of cases) {
      const err = await rejectsBeforeIo(MemFlow.Worker.create({ connection, taskQueue: 'q', workflow: workflow as never }));
      checkValidation(err, field, rule);
    }
    checkValidation(await rejectsBeforeIo(MemFlow.Worker.create(null as never)), 'config');
    // an inline function, which JavaScript names after the `workflow` key (issue 11), in both API forms
    const inline = /arrow or anonymous function: its name 'workflow' comes from the option/;
    checkValidation(await rejectsBeforeIo(MemFlow.Worker.create({ connection, taskQueue: 'q', workflow: async () => 'anon' })), 'workflow', inline);
    checkValidation(await rejectsBeforeIo(MemFlow.Worker.create({ connection, taskQueue: 'q', workflow: async function () {} })), 'workflow', inline);
  });

  it.each([...BAD_IDS, ['bigint', 1n, /got bigint/] as [string, unknown, RegExp], ['symbol', Symbol('id'), /got symbol/] as [string, unknown, RegExp]])(
    'refuses workflowId %s',
    async (_label, workflowId, rule) => {
      const client = new MemFlow.Client({ connection });
      const id = workflowId as string;
      checkValidation(await rejectsBeforeIo(client.workflow.start({ taskQueue: 'q', workflowName: 'harmless', workflowId: id })), 'workflowId', rule);
      checkValidation(await rejectsBeforeIo(client.workflow.getHandle('q', 'harmless', id)), 'workflowId', rule);
      checkValidation(await rejectsBeforeIo(client.workflow.context(id)), 'workflowId', rule);
      checkValidation(await rejectsBeforeIo(client.workflow.hook({ workflowId: id, taskQueue: 'q', workflowName: 'harmless' })), 'workflowId', rule);
    },
  );

  it.each([...BAD_IDS, ['empty', '', /must not be empty/] as [string, unknown, RegExp]])('refuses signalId %s', async (_label, signalId, rule) => {
    const client = new MemFlow.Client({ connection });
    checkValidation(await rejectsBeforeIo(client.workflow.signal(signalId as string, { ok: 1 })), 'signalId', rule);
  });

  it.each(NOT_JSON)('refuses non-JSON %s as args and as signal data', async (_label, value, rule) => {
    const client = new MemFlow.Client({ connection });
    checkValidation(await rejectsBeforeIo(client.workflow.start({ taskQueue: 'q', workflowName: 'harmless', args: [value] })), 'args', rule);
    checkValidation(await rejectsBeforeIo(client.workflow.signal('sig', value)), 'signal data', rule);
    checkValidation(
      await rejectsBeforeIo(client.workflow.hook({ workflowId: 'job-1', taskQueue: 'q', workflowName: 'harmless', args: [{ nested: value }] })),
      'args',
      rule,
    );
  });

  it('refuses malformed start options', async () => {
    const client = new MemFlow.Client({ connection });
    checkValidation(await rejectsBeforeIo(client.workflow.start(null as never)), 'options');
    checkValidation(await rejectsBeforeIo(client.workflow.start({ taskQueue: 'q', workflowName: 'harmless', args: 'x' as never })), 'args', /array/);
    for (const expire of [-1, NaN, Infinity, '60']) {
      checkValidation(await rejectsBeforeIo(client.workflow.start({ taskQueue: 'q', workflowName: 'harmless', expire: expire as number })), 'expire');
    }
    checkValidation(await rejectsBeforeIo(client.workflow.start({ workflowName: 'harmless' })), 'taskQueue', /got undefined/);
    checkValidation(await rejectsBeforeIo(client.workflow.start({ taskQueue: 'q' })), 'workflowName', /got undefined/);
  });

  it('left the database untouched', async () => {
    expect(openDriverKeys()).toEqual([]);
    if (backend === 'postgres') {
      const after = await snapshot(pgCatalog!);
      expectCatalogUnchanged(before!, after);
      const sleeping = await pgCatalog!.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE query ILIKE '%pg_sleep%' AND pid <> pg_backend_pid()`);
      expect(sleeping.rows[0].n).toBe(0);
    }
    // On PGlite the spies (checked after every test) prove no instance was even created.
  });
});

describe('with a live app', () => {
  let mf: MemFlowInstance;
  let engine: Engine;
  let db: Db;
  let before: Catalog;
  const prefix = `bi${randomBytes(4).toString('hex')}`;
  const intended: string[] = [];
  const NAMES = legalAs('name');
  const QUEUES = legalAs('q');

  beforeAll(async () => {
    const appId = uniqueAppId('bad-input');
    mf = await MemFlow.init({ appId, engine: { connection: testConnection() } });
    engine = await mf.client.engine(appId);
    // Postgres: a separate connection. PGlite: the engine's own driver (the only way in).
    db = pgCatalog ?? engine.driver;
    before = await snapshot(db);
    const workflows = [echo, sleepy, sleepProbe, contextProbe, contextKeys, signalProbe, signalEcho];
    for (const workflow of workflows) await mf.worker.create({ taskQueue: 'bad-input', workflow });
    for (const q of QUEUES) await mf.worker.create({ taskQueue: q, workflow: echo });
    for (const name of NAMES) {
      await mf.worker.create({ taskQueue: 'names', workflow: named(name, async () => MemFlow.workflow.getContext().workflowTopic) });
    }
  });

  const start = (workflowName: string, args: unknown[] = [], extra: Record<string, unknown> = {}) =>
    mf.workflow.start({ taskQueue: 'bad-input', workflowName, args, ...extra });

  const count = async (table: string, jobId?: string) =>
    Number(
      (await db.query(`SELECT count(*)::int AS n FROM "${engine.schema}".${table}${jobId ? ' WHERE job_id = $1' : ''}`, jobId ? [jobId] : []))
        .rows[0].n,
    );

  it('refuses bad input through the live app without writing anything', async () => {
    const jobs = await count('jobs');
    const signals = await count('signals');
    const h = await start('signalEcho', [['never']]);
    const jobsNow = jobs + 1;
    for (const [, id, rule] of BAD_IDS) {
      checkValidation(await rejectionOf(h.signal(id as string, 1)), 'signalId', rule);
      checkValidation(await rejectionOf(mf.workflow.signal(id as string, 1)), 'signalId', rule);
      checkValidation(await rejectionOf(start('echo', [], { workflowId: id })), 'workflowId', rule);
      checkValidation(await rejectionOf(mf.workflow.getHandle('bad-input', 'echo', id as string)), 'workflowId', rule);
    }
    for (const [, value, rule] of NOT_JSON) {
      checkValidation(await rejectionOf(h.signal('never', value)), 'signal data', rule);
      checkValidation(await rejectionOf(start('echo', [value])), 'args', rule);
      checkValidation(await rejectionOf(h.hook({ taskQueue: 'bad-input', workflowName: 'echo', args: [value] })), 'args', rule);
    }
    const outside = await mf.workflow.context(h.workflowId);
    for (const path of BAD_PATHS) checkValidation(await rejectionOf(outside.get(path as string)), 'path');
    for (const [, run, field] of BAD_CONTEXT_WRITES) checkValidation(await rejectionOf(run(outside)), field);
    expect(await count('jobs')).toBe(jobsNow);
    expect(await count('signals')).toBe(signals);
    expect(await count('context_log', h.workflowId)).toBe(0);
    expect(await outside.get()).toEqual({});
  });

  it('sleepFor with a duration that does not parse: a typed error inside the workflow', async () => {
    const durations = ['soon', 'NaN', -5, '', '   ', '5 fortnights', null, { ms: 5 }];
    const h = await start('sleepProbe', [durations]);
    const results: ErrInfo[] = await h.result();
    expect(results).toHaveLength(durations.length);
    results.forEach((r, i) => {
      expect(r, `sleepFor(${JSON.stringify(durations[i])})`).toMatchObject({ typed: true, kind: 'ValidationError', field: 'duration' });
      expect(r.message).toMatch(/^Invalid duration: /);
      if (typeof durations[i] === 'string' || typeof durations[i] === 'number') expect(r.rule).toContain(`'${durations[i]}' is not a duration`);
    });
    // Refused before the durable call: nothing was journaled.
    expect(await count('journal', h.workflowId)).toBe(0);
  });

  it('sleepFor with a duration that does not parse: an uncaught one fails the workflow with a clear message', async () => {
    for (const duration of ['soon', 'NaN', -5]) {
      const h = await start('sleepy', [duration], { config: { maximumAttempts: 1, backoffCoefficient: 1, maximumInterval: '1s' } });
      const err = await rejectionOf(h.result());
      expect(err).toBeInstanceOf(WorkflowFailedError);
      expect((err as WorkflowFailedError).job_id).toBe(h.workflowId);
      expect((err as Error).message).toBe(
        `Invalid duration: '${duration}' is not a duration (try '5 seconds', '2m', '1 hour' or a number of milliseconds)`,
      );
      expect(await count('journal', h.workflowId)).toBe(0);
    }
  });

  it('context ops refuse bad paths and prototype keys inside a workflow, and change nothing', async () => {
    const h = await start('contextProbe');
    const { results, doc } = await h.result();
    expect(results).toHaveLength(BAD_PATHS.length * CONTEXT_OPS.length + BAD_CONTEXT_WRITES.length);
    for (const r of results as Array<{ label: string } & ErrInfo>) {
      expect(r.typed, `${r.label}: ${r.message}`).toBe(true);
      expect(r.kind).toBe('ValidationError');
      expect(r.field).toMatch(/^(path|(set|merge|append) value|increment value|remove index)$/);
      expect(r.message).toBe(`Invalid ${r.field}: ${r.rule}`);
    }
    const byLabel = new Map((results as Array<{ label: string } & ErrInfo>).map((r) => [r.label, r]));
    expect(byLabel.get('get("a..b")')?.rule).toBe('must not have empty segments');
    expect(byLabel.get('set(".a")')?.rule).toBe('must not have empty segments');
    expect(byLabel.get('merge("a.")')?.rule).toBe('must not have empty segments');
    expect(byLabel.get('delete("__proto__")')?.rule).toBe("must not use '__proto__' as a key");
    expect(byLabel.get('set("constructor.prototype")')?.rule).toBe("must not use 'constructor' as a key");
    expect(byLabel.get('increment(123)')?.rule).toBe('must be a dotted string (got number)');
    expect(byLabel.get('set(123)')?.field).toBe('path');
    expect(byLabel.get('set(["a"])')?.rule).toBe('must be a dotted string (got array)');
    expect(byLabel.get('merge({"a":1})')?.rule).toBe('must be a dotted string (got object)');
    expect(byLabel.get('set __proto__ value')?.rule).toBe("must not contain the key '__proto__'");
    // Nothing was applied: the document is what the first set wrote, inside and outside the workflow.
    expect(doc).toEqual({ keep: 1, list: [1], n: 1 });
    expect(await (await mf.workflow.context(h.workflowId)).get()).toEqual({ keep: 1, list: [1], n: 1 });
    // Two journaled context calls (the first set, the last get) and one logged change: no refused op reached SQL.
    expect(await count('journal', h.workflowId)).toBe(2);
    expect(await count('context_log', h.workflowId)).toBe(1);
  });

  it('waitFor / signal refuse bad ids and non-JSON data inside a workflow', async () => {
    const signals = await count('signals');
    const h = await start('signalProbe');
    const results: Array<{ label: string } & ErrInfo> = await h.result();
    expect(results).toHaveLength(BAD_IDS.length * 2 + NOT_JSON.length);
    for (const r of results) {
      expect(r.typed, `${r.label}: ${r.message}`).toBe(true);
      expect(r.field).toBe(r.label.startsWith('signal data') ? 'signal data' : 'signalId');
    }
    expect(await count('journal', h.workflowId)).toBe(0);
    expect(await count('signals')).toBe(signals);
  });

  it('hostile but legal workflow ids and args round-trip byte for byte', async () => {
    const values = CORPUS.filter((h) => h.legal.includes('id')).map((h) => h.value);
    const args = [...values, JSON.parse('{"__proto__":{"polluted":"args"}}'), JSON.parse('{"constructor":{"prototype":{"polluted":"args"}}}'), 'a😀b'];
    for (const id of values) {
      const started = performance.now();
      const h = await start('echo', args, { workflowId: id });
      expect(h.workflowId).toBe(id);
      const result = await h.result();
      if (id.includes('pg_sleep')) expect(performance.now() - started).toBeLessThan(15_000); // no injected pg_sleep(20)
      expect(Buffer.from(result.id).equals(Buffer.from(id))).toBe(true);
      expect(JSON.stringify(result.args)).toBe(JSON.stringify(args));
      const again = await (await mf.workflow.getHandle('bad-input', 'echo', id)).result();
      expect(again.id).toBe(id);
      const row = await db.query(`SELECT id, octet_length(id) AS bytes FROM "${engine.schema}".jobs WHERE id = $1`, [id]);
      expect(row.rows).toHaveLength(1);
      expect(row.rows[0].id).toBe(id);
      expect(Number(row.rows[0].bytes)).toBe(Buffer.byteLength(id));
    }
    // Case matters: App and app are two jobs; a second 'app' is a duplicate.
    const app = await (await mf.workflow.getHandle('bad-input', 'echo', 'app')).result();
    const App = await (await mf.workflow.getHandle('bad-input', 'echo', 'App')).result();
    expect([app.id, App.id]).toEqual(['app', 'App']);
    const dup = await rejectionOf(start('echo', [], { workflowId: 'app' }));
    expect(dup).toBeInstanceOf(DuplicateJobError);
    expect((dup as DuplicateJobError).jobId).toBe('app');
  });

  it('hostile but legal task queues and workflow names route exactly', async () => {
    for (const q of QUEUES) {
      const h = await mf.workflow.start({ taskQueue: q, workflowName: 'echo', args: [q] });
      const result = await h.result();
      expect(result.topic).toBe(`${q}-echo`);
      expect(result.args).toEqual([q]);
    }
    for (const name of NAMES) {
      const h = await mf.workflow.start({ taskQueue: 'names', workflowName: name });
      expect(await h.result()).toBe(`names-${name}`);
    }
  });

  it('hostile but legal signal ids round-trip, per job and app-wide', async () => {
    const ids = legalAs('id');
    const h = await start('signalEcho', [ids]);
    for (const id of ids) await h.signal(id, { id });
    const got = (await h.result()) as Array<{ id: string }>;
    expect(got.map((g) => g.id)).toEqual(ids);
    const wide = await start('signalEcho', [[CORPUS[2]!.value, CORPUS[3]!.value]]);
    await mf.workflow.signal(CORPUS[2]!.value, { id: 'drop' });
    await mf.workflow.signal(CORPUS[3]!.value, { id: 'sleep' });
    expect(await wide.result()).toEqual([{ id: 'drop' }, { id: 'sleep' }]);
  });

  it('hostile but legal context keys round-trip byte for byte', async () => {
    const keys = legalAs('key');
    const h = await start('contextKeys', [keys]);
    const { got, count: n } = await h.result();
    expect(got).toEqual(keys.map((k) => ({ k })));
    expect(n).toBe(2);
    const doc = await (await mf.workflow.context(h.workflowId)).get();
    expect(Object.keys(doc).sort()).toEqual([...keys].sort());
    for (const k of keys) expect(doc[k].k).toBe(k);
    expect(doc[keys[0]!].count).toBe(2);
    expect(doc.App).not.toEqual(doc.app);
    // Keys stored as-is in jsonb, not rewritten or escaped.
    const stored = await db.query(`SELECT jsonb_object_keys(context) AS k FROM "${engine.schema}".jobs WHERE id = $1`, [h.workflowId]);
    expect(stored.rows.map((r) => r.k).sort()).toEqual([...keys].sort());
  });

  it('appIds: App is refused, app is fine, a-b and a_b collide with AppSchemaConflictError', async () => {
    checkValidation(await rejectionOf(MemFlow.init({ appId: `${prefix}_App`, engine: { connection: testConnection() } })), 'appId');
    const lower = await MemFlow.init({ appId: `${prefix}_app`, engine: { connection: testConnection() } });
    expect(lower.appId).toBe(`${prefix}_app`);
    intended.push(`${prefix}_app`);

    const dash = `${prefix}_a-b`;
    const underscore = `${prefix}_a_b`;
    expect(schemaForApp(dash)).toBe(schemaForApp(underscore));
    await MemFlow.init({ appId: dash, engine: { connection: testConnection() } });
    intended.push(`${prefix}_a_b`);
    const conflict = await rejectionOf(MemFlow.init({ appId: underscore, engine: { connection: testConnection() } }));
    expect(conflict).toBeInstanceOf(AppSchemaConflictError);
    expect(conflict).toMatchObject({ kind: 'AppSchemaConflictError', appId: underscore, schema: `${prefix}_a_b`, ownerAppId: dash });
    expect((conflict as Error).message).toBe(`appId '${underscore}' maps to schema '${prefix}_a_b', which belongs to appId '${dash}'`);
    // The owner still opens; the loser still cannot, through any entry point.
    await MemFlow.init({ appId: dash, engine: { connection: testConnection() } });
    const client = new MemFlow.Client({ connection: testConnection() });
    expect(await rejectionOf(client.workflow.signal('s', 1, underscore))).toBeInstanceOf(AppSchemaConflictError);
    const owners = await db.query('SELECT app_id FROM hotmesh_registry.apps WHERE schema_name = $1', [`${prefix}_a_b`]);
    expect(owners.rows.map((r) => r.app_id)).toEqual([dash]);
  });

  it('changed no catalog object but the schemas it meant to create', async () => {
    const after = await snapshot(db);
    expectCatalogUnchanged(before, after, intended, [engine.schema]);
    expect(after.registered.get(engine.schema)).toBe(engine.appId);
  });
});

describe('no prototype pollution', () => {
  it('left Object.prototype, Array.prototype and Function.prototype as they were', () => {
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect('polluted' in {}).toBe(false); // nothing inherited either
    expect(Object.getOwnPropertyDescriptor(Object.prototype, 'polluted')).toBeUndefined();
    expect(([] as unknown as Record<string, unknown>).polluted).toBeUndefined();
    expect(Reflect.ownKeys(Object.prototype).map(String).sort()).toEqual(OBJECT_PROTO_KEYS);
    expect(Reflect.ownKeys(Array.prototype).map(String).sort()).toEqual(ARRAY_PROTO_KEYS);
    expect(Reflect.ownKeys(Function.prototype).map(String).sort()).toEqual(FUNCTION_PROTO_KEYS);
    expect(Object.getPrototypeOf({})).toBe(Object.prototype);
  });
});

// Fix: client.workflow.context(id) opened the app's engine before any op was known, so with the
// database out of reach a bad path got the ConnectionError instead of its ValidationError (README
// "Bad input": refused before any SQL runs). The handle now waits for the engine only in an op that
// has checked its input. The database here is a closed port: nothing can answer.
describe('a context handle checks each op before it waits for the database', () => {
  const unreachable = { class: pg.Client, options: { connectionString: 'postgres://postgres@127.0.0.1:1/nowhere', connectionTimeoutMillis: 2_000 } };

  it.each(CONTEXT_OPS)('%s with a bad path is a ValidationError though the database cannot be reached', async (_op, run) => {
    const client = new MemFlow.Client({ connection: unreachable });
    const ctx = await client.workflow.context(`ctx-offline-${randomBytes(3).toString('hex')}`);
    for (const path of ['a..b', 'a.__proto__.polluted', '.']) {
      const err = await run(ctx, path).catch((e: unknown) => e);
      expect(err, `path ${JSON.stringify(path)}`).toMatchObject({ kind: 'ValidationError' });
    }
  });

  it('a tx that is not a client is a ValidationError, before any statement', async () => {
    const client = new MemFlow.Client({ connection: unreachable });
    for (const tx of [{}, 'BEGIN', { query: 'SELECT 1' }]) {
      await expect(client.workflow.context('ctx-offline-tx', { tx: tx as never }), JSON.stringify(tx)).rejects.toMatchObject({ kind: 'ValidationError', field: 'tx' });
    }
  });

  it('history and at check their numbers first too; a good op then reports the database', async () => {
    const client = new MemFlow.Client({ connection: unreachable });
    const ctx = await client.workflow.context('ctx-offline-numbers');
    await expect(ctx.at(-1)).rejects.toMatchObject({ kind: 'ValidationError', field: 'version' });
    await expect(ctx.history({ limit: -1 })).rejects.toMatchObject({ kind: 'ValidationError', field: 'limit' });
    await expect(ctx.get('a')).rejects.toMatchObject({ kind: 'ConnectionError' });
  });

  // The handle made while the database was out of reach must work once it is back (the first version
  // of this fix held the failed opening, and every later op of the handle failed with it).
  it('a handle made while the database is out of reach works once it is back', async () => {
    const target = new URL(POSTGRES_URL);
    let live = false;
    const proxy = net.createServer((socket) => {
      if (!live) return socket.destroy();
      const upstream = net.connect(Number(target.port || 5432), target.hostname);
      socket.pipe(upstream).pipe(socket);
      socket.on('error', () => upstream.destroy());
      upstream.on('error', () => socket.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = proxy.address() as net.AddressInfo;
      const url = new URL(POSTGRES_URL);
      url.port = String(port);
      const client = new MemFlow.Client({ connection: { class: pg.Client, options: { connectionString: url.toString(), connectionTimeoutMillis: 2_000 } } });
      const ctx = await client.workflow.context('ctx-comes-back', { namespace: uniqueAppId('ctxback') });
      await expect(ctx.get()).rejects.toMatchObject({ kind: 'ConnectionError' });
      live = true;
      // the database answers now, not the old ConnectionError: the handle names an app it does not
      // have, and a read never creates one
      await expect(ctx.get()).rejects.toMatchObject({ kind: 'AppNotFoundError' });
    } finally {
      proxy.close();
    }
  });
});
