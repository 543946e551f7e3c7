/**
 * Spans across a crash, with real processes and a real SIGKILL: a traced worker process (A) starts a
 * job inside its own span, runs it through a sleep (one run ends) into an activity, and is SIGKILLed
 * there; another process (B) takes the job over and finishes it. Every process exports its spans to
 * one file (test/fault/traced-worker-process.ts), so what A exported before it died is counted too.
 *
 * - exactly one span per journaled call, across both processes: B replays A's committed calls and
 *   makes no span for them; the call A was killed in (its span never ended) is executed, and spanned,
 *   once, by B;
 * - every span is in the trace of A's `caller` span, and B's runs are children of that span: the
 *   trace context stored with the job crossed the process boundary; each call's parent is the run
 *   that executed it.
 *
 * postgres: B is serving before A dies and takes the task over when A's lease (2 s) runs out. pglite:
 * B opens the data directory after A is dead.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { backend, POSTGRES_URL } from '../support/backend.js';
import { type Child, killChildren, resultOf, sigkill, spawnChild } from './support/child-process.js';
import { readLog } from './support/execution-log.js';
import { Scratch } from './support/scratch.js';
import type { SpanRecord, TracedConfig } from './traced-worker-process.js';

const SCRIPT = new URL('./traced-worker-process.ts', import.meta.url).pathname;
const scratch = new Scratch();
const LOAD_MS = 60_000;

function spawnTraced(config: TracedConfig): Child {
  return spawnChild(SCRIPT, config, { label: `traced ${config.mode}`, env: { HOTMESH_TEST_BACKEND: config.backend }, failOn: 'ERROR ' });
}

/** The span name each journaled call kind makes (worker/calls/index.ts). */
const SPAN_PREFIX: Record<string, string> = { activity: 'activity', sleep: 'timer' };

afterEach(killChildren);
afterAll(() => scratch.cleanup());

describe(`spans across a SIGKILL and a replay on another process (${backend})`, () => {
  it('makes exactly one span per journaled call, all in the caller’s trace, with their parents', async () => {
    const dir = scratch.dir('fault-spans');
    const base = {
      appId: scratch.appId('fault-spans'),
      backend,
      dataDir: backend === 'pglite' ? path.join(dir, 'data') : undefined,
      url: backend === 'postgres' ? POSTGRES_URL : undefined,
      workflowId: `fault-spans-${path.basename(dir).slice(-6)}`,
      spansFile: path.join(dir, 'spans.jsonl'),
      leaseSeconds: 2,
    };
    const a = spawnTraced({ ...base, mode: 'start', standby: true });
    let b = backend === 'postgres' ? spawnTraced({ ...base, mode: 'resume', standby: true }) : undefined;
    // loading (an embedded database starts and migrates in-process) takes long on a busy machine
    await Promise.all([a.waitFor('LOADED', LOAD_MS), b?.waitFor('LOADED', LOAD_MS)]);
    a.send('serve');
    expect(await a.waitFor('STARTED ')).toBe(base.workflowId);
    expect(await a.waitFor('RUNNING ')).toBe('step three');
    if (b) {
      b.send('serve');
      await b.waitFor('READY');
    }
    await sigkill(a);
    if (!b) {
      b = spawnTraced({ ...base, mode: 'resume' });
      await b.waitFor('READY', LOAD_MS);
    }
    const { result, journal } = (await resultOf(b)) as { result: string[]; journal: Array<{ thread: string; seq: number; kind: string; name: string }> };
    expect(result).toEqual(['one:done', 'two-a:done', 'two-b:done', 'three:done', 'four:done']);

    const spans = readLog<SpanRecord>(base.spansFile);
    const pidA = a.proc.pid!;
    const pidB = b.proc.pid!;
    const caller = spans.find((s) => s.name === 'caller');
    expect(caller, 'the caller span A exported').toBeDefined();
    const mine = spans.filter((s) => s.attributes['hotmesh.job_id'] === base.workflowId);
    const runs = mine.filter((s) => s.name === 'workflow tracedPipeline');
    const calls = mine.filter((s) => s.name !== 'workflow tracedPipeline');

    // one span per journaled call, none for a replay, none twice
    expect(journal.map((j) => j.kind)).toEqual(['activity', 'sleep', 'activity', 'activity', 'activity', 'activity']);
    expect(calls).toHaveLength(journal.length);
    for (const entry of journal) {
      const spanned = calls.filter((s) => s.attributes['hotmesh.seq'] === entry.seq);
      expect(spanned.map((s) => s.name), `seq ${entry.seq}`).toEqual([`${SPAN_PREFIX[entry.kind]} ${entry.name}`]);
    }
    // A executed the calls before the kill, B the one A was killed in and the one after it
    const bySeq = (seq: number) => calls.find((s) => s.attributes['hotmesh.seq'] === seq)!;
    expect([1, 2, 3, 4].map((seq) => bySeq(seq).pid)).toEqual([pidA, pidA, pidA, pidA]);
    expect([5, 6].map((seq) => bySeq(seq).pid)).toEqual([pidB, pidB]);

    // the whole job is in the caller's trace, on both processes
    for (const s of mine) expect(s.traceId, s.name).toBe(caller!.traceId);
    // every run (A's that ended, B's) is a child of the caller span A made
    const runsA = runs.filter((r) => r.pid === pidA);
    const runsB = runs.filter((r) => r.pid === pidB);
    expect(runsA).toHaveLength(1); // the run the sleep suspended; the killed run never ended
    expect(runsB.length).toBeGreaterThanOrEqual(1);
    for (const run of runs) expect(run.parentSpanId).toBe(caller!.spanId);
    // each call is a child of the run that executed it: A's first run, A's killed run, B's run
    expect([1, 2].map((seq) => bySeq(seq).parentSpanId)).toEqual([runsA[0]!.spanId, runsA[0]!.spanId]);
    const killedRun = bySeq(3).parentSpanId;
    expect(bySeq(4).parentSpanId).toBe(killedRun);
    expect(runs.map((r) => r.spanId)).not.toContain(killedRun);
    const idsB = runsB.map((r) => r.spanId);
    for (const seq of [5, 6]) expect(idsB).toContain(bySeq(seq).parentSpanId);
    // nothing else: the spans file holds the caller and this job's spans only
    expect(spans).toHaveLength(mine.length + 1);
    expect(fs.existsSync(base.spansFile)).toBe(true);
  }, 180_000);
});
