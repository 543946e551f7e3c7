/**
 * README promises about running workflows that no other test pinned, each with an oracle a broken
 * engine fails, on both backends:
 *
 * - `deprecatePatch(id)` lets a run recorded with `patched(id)` replay once the old branch is gone,
 *   and records nothing for new runs (without it, the same history is a NonDeterminismError);
 * - `handle.result()` rejects with a `WorkflowFailedError` carrying message, code, stack, job_id and
 *   the original error as `cause`;
 * - `SELECT <schema>.context_at(job, n)` is the document as it was at version n;
 * - an app-wide signal (`mf.workflow.signal`) reaches every thread waiting on that id;
 * - the worker option `concurrency` caps the tasks one process runs at once;
 * - `trace()` records an OpenTelemetry span once and `emit()` notifies once, whatever the replays;
 * - the default payload cap (2 MiB) refuses larger arguments, signals and results with
 *   `PayloadTooLargeError`;
 * - a timer that came due while no worker ran fires as soon as a worker starts, and a sleeping
 *   workflow holds no lease.
 *
 * `MemFlowFatalError` delivered after retries run out (and the exact execution count) is pinned by
 * test/retry-policy.test.ts; `retryPolicy.throwOnError: false` by test/spec-errors.test.ts.
 */
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { trace as otelTrace } from '@opentelemetry/api';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isHotMeshError, MemFlow, type MemFlowInstance, PayloadTooLargeError, ValidationError, WorkflowFailedError } from '../src/index.js';
import type { Engine } from '../src/engine/engine.js';
import { MAX_PAYLOAD_BYTES } from '../src/json-value.js';
import { backend, eventually, POSTGRES_URL, testConnection, uniqueAppId } from './support/backend.js';
import { journalOf, untilWaiting } from './support/job-state.js';

const QUEUE = 'promises';
const appId = uniqueAppId('promises');
const connection = testConnection();

// ---------- deprecatePatch ----------

/** Which code each job runs when it next replays: its code is changed under it by the test. */
const codeOf = new Map<string, 'patched' | 'deprecated' | 'removed'>();
const pricing = MemFlow.workflow.proxyActivities({
  activities: {
    async oldPrice() {
      return 10;
    },
    async newPrice() {
      return 1000;
    },
  },
});

export async function checkout() {
  const { workflowId } = MemFlow.workflow.getContext();
  const code = codeOf.get(workflowId) ?? 'patched';
  let price: number;
  if (code === 'patched') {
    price = MemFlow.workflow.patched('v2-pricing') ? await pricing.newPrice() : await pricing.oldPrice();
  } else {
    if (code === 'deprecated') MemFlow.workflow.deprecatePatch('v2-pricing');
    price = await pricing.newPrice();
  }
  const paid = await MemFlow.workflow.waitFor<boolean>('paid');
  return { price, paid };
}

// ---------- WorkflowFailedError.cause ----------

export async function declines(kind: 'fatal' | 'plain') {
  if (kind === 'fatal') throw new MemFlow.Errors.MemFlowFatalError('card declined');
  throw new TypeError('cannot read the card');
}

// ---------- context_at ----------

export async function ledger() {
  const ctx = await MemFlow.workflow.context();
  await ctx.set({ owner: 'ada', items: [] });
  await ctx.append('items', 'apple');
  await ctx.increment('count', 2);
  await ctx.merge({ owner: 'bob', meta: { tier: 'gold' } });
  await ctx.toggle('open');
  await ctx.delete('meta');
  await ctx.prepend('items', 'pear');
  return ctx.get();
}

// ---------- app-wide signal ----------

export async function listener(name: string) {
  const data = await MemFlow.workflow.waitFor<{ n: number }>('all-hands');
  return { name, data };
}

// ---------- trace / emit once ----------

/** Runs of each job's function: replays included. */
const runsOf = new Map<string, number>();
export async function observed() {
  const { workflowId } = MemFlow.workflow.getContext();
  runsOf.set(workflowId, (runsOf.get(workflowId) ?? 0) + 1);
  await MemFlow.workflow.trace({ step: 'observed' });
  await MemFlow.workflow.emit({ 'promises.observed': { workflowId } });
  await MemFlow.workflow.sleepFor('100 milliseconds'); // suspends: the next run replays from the top
  await MemFlow.workflow.waitFor('finish'); // and again
  return 'observed';
}

// ---------- payload cap ----------

export async function echo(value: unknown) {
  return value;
}
export async function oversized(bytes: number) {
  return 'x'.repeat(bytes);
}

// ---------- timers while no worker runs ----------

const clock = MemFlow.workflow.proxyActivities({
  activities: {
    async wallClock() {
      return Date.now();
    },
  },
});
export async function napper(duration: string) {
  await MemFlow.workflow.sleepFor(duration);
  return clock.wallClock();
}

const workflows = [checkout, declines, ledger, listener, observed, echo, oversized];

describe(`README promises: running workflows (${backend})`, () => {
  let mf: MemFlowInstance;
  let engine: Engine;
  beforeAll(async () => {
    mf = await MemFlow.init({ appId, engine: { connection } });
    for (const workflow of workflows) await mf.worker.create({ taskQueue: QUEUE, workflow });
    engine = await mf.client.engine(appId);
  });
  afterAll(() => mf.shutdown());

  const start = (workflowName: string, args: unknown[] = [], extra: Record<string, unknown> = {}) =>
    mf.workflow.start({ taskQueue: QUEUE, workflowName, args, ...extra });

  it("the namespace defaults to the appId: mf.client too (it was the established form's 'memflow')", async () => {
    // a black-box pass: mf.client.workflow.start with no namespace waited for ever (nothing serves
    // 'memflow'), and getHandle, context and list did not find the app's jobs
    const handle = await mf.client.workflow.start({ taskQueue: QUEUE, workflowName: 'echo', args: ['via mf.client'] });
    expect(await handle.result()).toBe('via mf.client');
    const again = await mf.client.workflow.getHandle(QUEUE, 'echo', handle.workflowId);
    expect(await again.result()).toBe('via mf.client');
    const memory = await mf.client.workflow.context(handle.workflowId);
    expect(await memory.version()).toBe(0);
    const page = await mf.client.workflow.list({ workflowName: 'echo' });
    expect(page.items.map((j) => j.workflowId)).toContain(handle.workflowId);
  });

  it('deprecatePatch: a run recorded with patched() replays without the old branch; new runs record no marker', async () => {
    // Recorded under `patched('v2-pricing')`: the marker, then newPrice, then the wait.
    const [deprecated, removed] = await Promise.all([start('checkout'), start('checkout')]);
    for (const h of [deprecated, removed]) await untilWaiting(engine, h.workflowId, 'paid');
    const recorded = ['patch v2-pricing', 'activity newPrice'];
    for (const h of [deprecated, removed]) {
      expect((await journalOf(engine, h.workflowId)).map((r) => `${r.kind} ${r.name}`)).toEqual(recorded);
    }

    // The old branch is deleted. One job replays under `deprecatePatch`, one under code without it.
    codeOf.set(deprecated.workflowId, 'deprecated');
    codeOf.set(removed.workflowId, 'removed');
    const fresh = await start('checkout');
    codeOf.set(fresh.workflowId, 'deprecated');
    await untilWaiting(engine, fresh.workflowId, 'paid');
    for (const h of [deprecated, removed, fresh]) await h.signal('paid', true);

    expect(await deprecated.result()).toEqual({ price: 1000, paid: true });
    expect(await fresh.result()).toEqual({ price: 1000, paid: true });
    // new ground: deprecatePatch took no seq and wrote nothing
    expect((await journalOf(engine, fresh.workflowId)).map((r) => `${r.seq} ${r.kind} ${r.name}`)).toEqual(['1 activity newPrice', '2 wait paid']);
    // the control: the same history replayed by code that neither patches nor deprecates is parked
    await expect(removed.result()).rejects.toMatchObject({ code: 593 });
  });

  it('WorkflowFailedError carries message, code, stack, job_id and the original error as cause', async () => {
    const fatal = await start('declines', ['fatal']);
    const err = (await fatal.result().catch((e: unknown) => e)) as WorkflowFailedError;
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect(err).toMatchObject({ message: 'card declined', code: 598, job_id: fatal.workflowId, type: 'MemFlowFatalError' });
    // the stack is the workflow's, where it threw, not result()'s
    expect(err.stack).toContain('card declined');
    expect(err.stack).toContain('declines');
    expect(err.cause).toMatchObject({ type: 'MemFlowFatalError', code: 598, message: 'card declined', stack: err.stack });
    // the original error, as its class (it was a plain object of the stored fields)
    expect(err.cause).toBeInstanceOf(MemFlow.Errors.MemFlowFatalError);

    const plain = await start('declines', ['plain'], { config: { maximumAttempts: 1, backoffCoefficient: 1, maximumInterval: '1s' } });
    const err2 = (await plain.result().catch((e: unknown) => e)) as WorkflowFailedError;
    expect(err2).toBeInstanceOf(WorkflowFailedError);
    // its one retry ran out: 597, and the cause still says what was thrown
    expect(err2).toMatchObject({ message: 'cannot read the card', code: 597, job_id: plain.workflowId });
    expect(err2.cause).toMatchObject({ message: 'cannot read the card', code: 597 });
    expect((err2.cause as { stack?: string }).stack).toContain('TypeError: cannot read the card');
    expect(err2.cause).toBeInstanceOf(TypeError);
  });

  it('context_at(job, n) is the document as it was at version n', async () => {
    const h = await start('ledger');
    const final = await h.result();
    const history = await h.context().history();
    expect(history.map((c) => c.op)).toEqual(['set', 'append', 'increment', 'merge', 'toggle', 'delete', 'prepend']);
    const at = async (n: number) =>
      (await engine.driver.query<{ doc: unknown }>(`SELECT ${engine.sqlSchema}.context_at($1, $2) AS doc`, [h.workflowId, n])).rows[0]!.doc;
    const expected = [
      {},
      { owner: 'ada', items: [] },
      { owner: 'ada', items: ['apple'] },
      { owner: 'ada', items: ['apple'], count: 2 },
      { owner: 'bob', items: ['apple'], count: 2, meta: { tier: 'gold' } },
      { owner: 'bob', items: ['apple'], count: 2, meta: { tier: 'gold' }, open: true },
      { owner: 'bob', items: ['apple'], count: 2, open: true },
      { owner: 'bob', items: ['pear', 'apple'], count: 2, open: true },
    ];
    for (let n = 0; n < expected.length; n++) expect(await at(n), `version ${n}`).toEqual(expected[n]);
    expect(await at(7)).toEqual(final);
    expect(await at(99)).toEqual(final); // past the last version: the latest document
  });

  it('an app-wide signal reaches every thread waiting on that id (and only those)', async () => {
    const names = ['ann', 'ben', 'cid'];
    const handles = await Promise.all(names.map((n) => start('listener', [n])));
    for (const h of handles) await untilWaiting(engine, h.workflowId, 'all-hands');
    await mf.workflow.signal('all-hands', { n: 1 });
    expect(await Promise.all(handles.map((h) => h.result()))).toEqual(names.map((name) => ({ name, data: { n: 1 } })));
    // Delivered, so not kept: a thread that waits afterwards gets the next signal, not this one.
    const late = await start('listener', ['dee']);
    await untilWaiting(engine, late.workflowId, 'all-hands');
    await mf.workflow.signal('all-hands', { n: 2 });
    expect(await late.result()).toEqual({ name: 'dee', data: { n: 2 } });
  });

  it('trace() records one span and emit() one notification per workflow, across replays', async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    expect(otelTrace.setGlobalTracerProvider(provider)).toBe(true);
    const events: Array<{ topic: string; data: { workflowId: string } }> = [];
    const onPayload = (payload: string) => {
      if (payload.startsWith('emit:')) events.push(JSON.parse(payload.slice(5)));
    };
    const stopListening = await listen(engine, onPayload);
    try {
      const h = await start('observed');
      await untilWaiting(engine, h.workflowId, 'finish');
      await h.signal('finish', true);
      expect(await h.result()).toBe('observed');
      expect(runsOf.get(h.workflowId)).toBeGreaterThanOrEqual(3); // replayed after the sleep and after the wait
      const spans = exporter.getFinishedSpans().filter((s) => s.attributes['hotmesh.workflow_id'] === h.workflowId);
      expect(spans.map((s) => [s.name, s.attributes.step, s.attributes['hotmesh.thread']])).toEqual([['memflow.trace', 'observed', 'main']]);
      // NOTIFY is delivered when the emitting transaction commits, before the job's result is read
      await eventually(async () => events.some((e) => e.data.workflowId === h.workflowId));
      expect(events.filter((e) => e.data.workflowId === h.workflowId)).toEqual([{ topic: 'promises.observed', data: { workflowId: h.workflowId } }]);
    } finally {
      await stopListening();
      otelTrace.disable();
      await provider.shutdown();
    }
  });

  it('the default payload cap: 2 MiB of arguments, signal data or result passes, more is a PayloadTooLargeError', async () => {
    // just under the cap: args are one JSON array, so the string is a few bytes shorter than the cap
    const fits = 'y'.repeat(MAX_PAYLOAD_BYTES - 8);
    const ok = await start('echo', [fits]);
    expect(((await ok.result()) as string).length).toBe(fits.length);

    const tooBig = 'z'.repeat(MAX_PAYLOAD_BYTES + 1);
    const startErr = await start('echo', [tooBig]).catch((e: unknown) => e);
    expect(startErr).toBeInstanceOf(PayloadTooLargeError);
    // README "Bad input": payloads over 2 MiB are refused with a ValidationError naming the field (a
    // black-box pass: PayloadTooLargeError was not one)
    expect(startErr).toBeInstanceOf(ValidationError);
    expect(isHotMeshError(startErr, 'ValidationError') && isHotMeshError(startErr, 'PayloadTooLargeError')).toBe(true); // by kind too
    expect(startErr).toMatchObject({ limit: MAX_PAYLOAD_BYTES, field: 'args', kind: 'PayloadTooLargeError' });

    const waiting = await start('listener', ['big']);
    await untilWaiting(engine, waiting.workflowId, 'all-hands');
    await expect(waiting.signal('all-hands', { blob: tooBig })).rejects.toBeInstanceOf(PayloadTooLargeError);
    await expect(mf.workflow.signal('all-hands', { blob: tooBig })).rejects.toBeInstanceOf(PayloadTooLargeError);
    await waiting.signal('all-hands', { n: 3 });
    expect(await waiting.result()).toEqual({ name: 'big', data: { n: 3 } }); // the refused signals left nothing behind

    // a result over the cap fails the job at once (598): the same code would produce it again
    const big = await start('oversized', [MAX_PAYLOAD_BYTES + 1], { config: { maximumAttempts: 3 } });
    const err = (await big.result().catch((e: unknown) => e)) as WorkflowFailedError;
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect(err).toMatchObject({ code: 598, type: 'PayloadTooLargeError' });
  });

  it('concurrency: a worker runs at most N tasks at once', async () => {
    const limitedApp = uniqueAppId('promises-conc');
    const limited = await MemFlow.init({ appId: limitedApp, engine: { connection } });
    let active = 0;
    let peak = 0;
    const acts = MemFlow.workflow.proxyActivities({
      activities: {
        async occupy() {
          active++;
          peak = Math.max(peak, active);
          await new Promise((r) => setTimeout(r, 300));
          active--;
        },
      },
    });
    async function busy() {
      await acts.occupy();
      return 'done';
    }
    try {
      // started before any worker serves them: the first claim finds all six runnable
      const handles = await Promise.all(Array.from({ length: 6 }, () => limited.workflow.start({ taskQueue: 'conc', workflowName: 'busy', args: [] })));
      await limited.worker.create({ taskQueue: 'conc', workflow: busy, options: { concurrency: 2 } });
      expect(await Promise.all(handles.map((h) => h.result()))).toEqual(Array(6).fill('done'));
      expect(peak).toBe(2);
    } finally {
      await limited.shutdown();
    }
  });
});

describe(`README promises: timers and idle workflows (${backend})`, () => {
  const timerApp = uniqueAppId('promises-timer');
  // Holds the database open between workers (an in-memory PGlite lives as long as a holder does).
  let client: MemFlowInstance;
  beforeAll(async () => {
    client = await MemFlow.init({ appId: timerApp, engine: { connection } });
  });
  afterAll(() => client.shutdown());

  it('a sleeping workflow holds no lease; a timer that came due while no worker ran fires as soon as one starts', async () => {
    const engine = await client.client.engine(timerApp);
    const SLEEP_MS = 8000; // long enough that serving, claiming and running fit well inside it under load
    const first = await MemFlow.init({ appId: timerApp, engine: { connection } });
    await first.worker.create({ taskQueue: 'timers', workflow: napper });
    const h = await client.workflow.start({ taskQueue: 'timers', workflowName: 'napper', args: [`${SLEEP_MS / 1000} seconds`] });

    // The sleep is durable (a journal row with its due time) and the task is back on the shelf.
    const dueAt = await eventually(async () => {
      const res = await engine.driver.query<{ due_ms: number; lease_owner: string | null; thread_tasks: number }>(
        `SELECT (extract(epoch FROM j.due_at) * 1000)::float8 AS due_ms, t.lease_owner,
                (SELECT count(*)::int FROM ${engine.sqlSchema}.tasks WHERE job_id = $1) AS thread_tasks
           FROM ${engine.sqlSchema}.journal j JOIN ${engine.sqlSchema}.tasks t ON t.job_id = j.job_id
          WHERE j.job_id = $1 AND j.kind = 'sleep' AND t.lease_owner IS NULL`,
        [h.workflowId],
      );
      return res.rows[0] && { ...res.rows[0], due_ms: Number(res.rows[0].due_ms) };
    });
    expect(dueAt.lease_owner).toBeNull();
    expect(dueAt.thread_tasks).toBe(1);
    await first.shutdown(); // no worker serves the app from here on

    // Wait, by the database clock, until the timer is well past due.
    await eventually(async () => {
      const res = await engine.driver.query<{ now_ms: number }>(`SELECT (extract(epoch FROM now()) * 1000)::float8 AS now_ms`);
      return Number(res.rows[0]!.now_ms) > dueAt.due_ms + 500;
    }, 20_000);
    const journal = await journalOf(engine, h.workflowId);
    expect(journal.map((r) => r.kind)).toEqual(['sleep']); // nothing ran past the sleep
    expect(await h.status()).toBeGreaterThan(0); // still running

    const second = await MemFlow.init({ appId: timerApp, engine: { connection } });
    try {
      const servedAt = Date.now();
      await second.worker.create({ taskQueue: 'timers', workflow: napper });
      const firedAt = (await h.result()) as number;
      // At once: a timer re-armed from the worker's start would need the whole 8 s again.
      expect(firedAt - servedAt).toBeLessThan(SLEEP_MS - 3000);
    } finally {
      await second.shutdown();
    }
  }, 60_000);
});

/** LISTEN on the app's channel: a session of its own on PostgreSQL, the one in-process session on PGlite. */
async function listen(engine: Engine, onPayload: (payload: string) => void): Promise<() => Promise<void>> {
  if (backend === 'pglite') return engine.driver.listen(engine.channel, onPayload);
  const db = new pg.Client({ connectionString: POSTGRES_URL });
  await db.connect();
  db.on('notification', (msg) => msg.channel === engine.channel && onPayload(msg.payload ?? ''));
  await db.query(`LISTEN "${engine.channel}"`);
  return () => db.end();
}
