/**
 * Group commit on a real database (migration 0050, engine/group-commit.ts): concurrent starts and
 * finishes of one engine share statements, and that changes nothing a caller sees. A duplicate id in
 * a group fails only its own start; a group the database refuses for one item's data fails only that
 * item (the job fails with 598, the others complete); a group whose answer is lost after it committed
 * still ends every job once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../src/engine/engine.js';
import { WriteLane } from '../src/engine/write-lane.js';
import { MemFlow, type MemFlowInstance } from '../src/index.js';
import * as jobs from '../src/sql/queries/jobs.js';
import * as threads from '../src/sql/queries/threads.js';
import * as both from '../src/sql/queries/grouped.js';
import type { Transaction } from '../src/storage/driver.js';
import { testConnection, uniqueAppId } from './support/backend.js';
import { interceptNamed } from './support/intercept-named.js';

const runs = new Map<string, number>();

export async function echoOnce(tag: string): Promise<string> {
  runs.set(tag, (runs.get(tag) ?? 0) + 1);
  return `${tag}:done`;
}

/** Changes a statement's parameters, or what happens after it ran, while a test needs it. */
type Tamper = (sql: string, params: unknown[]) => { params?: unknown[]; before?: Promise<void>; afterwards?: () => never } | undefined;

const gates = new Map<string, Promise<void>>();
const gateReached = new Map<string, 'waiting' | 'passed'>();
const activities = {
  async passGate(tag: string): Promise<void> {
    gateReached.set(tag, 'waiting');
    await gates.get(tag);
    gateReached.set(tag, 'passed');
  },
};

const stepActivities = {
  async addTag(tag: string): Promise<string> {
    return `${tag}:done`;
  },
};

/** The shape the DBOS harness and the bench time: one inline activity, then the result. */
export async function oneStep(tag: string): Promise<string> {
  const { addTag } = MemFlow.workflow.proxyActivities({ activities: stepActivities });
  return addTag(tag);
}

export async function gated(tag: string): Promise<string> {
  const { passGate } = MemFlow.workflow.proxyActivities({ activities });
  await passGate(tag);
  return `${tag}:gated`;
}

async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in 5 s');
    await new Promise((r) => setTimeout(r, 2));
  }
}

describe('group commit', () => {
  let mf: MemFlowInstance;
  let engine: Engine;
  let restore = () => {};
  let tamper: Tamper | undefined;
  const sentBy = new Map<string, number>();

  beforeAll(async () => {
    mf = await MemFlow.init({ appId: uniqueAppId('group'), engine: { connection: testConnection() }, worker: { leaseSeconds: 2 } });
    engine = await mf.client.engine(mf.appId);
    restore = interceptNamed(engine, async (send, name, sql, params) => {
      sentBy.set(sql, (sentBy.get(sql) ?? 0) + 1);
      const t = tamper?.(sql, params);
      if (t?.before) await t.before;
      const res = await send(name, sql, t?.params ?? params);
      t?.afterwards?.();
      return res;
    });
    await mf.worker.create({ taskQueue: 'group', workflow: echoOnce });
    await mf.worker.create({ taskQueue: 'group-gated', workflow: gated });
    await mf.worker.create({ taskQueue: 'group-step', workflow: oneStep });
  });
  afterAll(async () => {
    tamper = undefined;
    restore();
    await mf.shutdown();
  });

  /** The first statement with text `sql` commits, then its answer is lost (as a dropped connection loses it). */
  const loseAnswerOnce = (...sqls: string[]) => {
    const lost = { count: 0 };
    tamper = (text) =>
      sqls.includes(text) && lost.count === 0
        ? {
            afterwards: () => {
              lost.count++;
              throw new Error('Connection terminated unexpectedly');
            },
          }
        : undefined;
    return lost;
  };
  const sent = (query: Parameters<Engine['bind']>[0]) => sentBy.get(engine.bind(query).text) ?? 0;
  const start = (workflowId: string) => mf.workflow.start({ taskQueue: 'group', workflowName: 'echoOnce', workflowId, args: [workflowId] });

  it('concurrent starts and finishes go in fewer statements than workflows, and every result is right', async () => {
    const grouped = () => sent(jobs.startJobs) + sent(threads.finishThreads) + sent(both.startsAndFinishes);
    const before = { grouped: grouped(), start: engine.writes.stats('start'), finish: engine.writes.stats('finish') };
    const ids = Array.from({ length: 48 }, (_, i) => `many-${Date.now()}-${i}`);
    const results = await Promise.all(ids.map(async (id) => (await start(id)).result()));
    expect(results).toEqual(ids.map((id) => `${id}:done`));
    for (const id of ids) expect(runs.get(id)).toBe(1);
    // the grouped statements ran: 48 starts fired at once cannot all go alone behind one lane
    expect(grouped() - before.grouped).toBeGreaterThan(0);
    for (const kind of ['start', 'finish'] as const) {
      const after = engine.writes.stats(kind);
      expect(after.items - before[kind].items, kind).toBe(48);
      expect(after.statements - before[kind].statements, kind).toBeLessThan(48);
    }
  });

  it.each([
    ['no step', 'group', 'echoOnce'],
    ['one inline activity', 'group-step', 'oneStep'],
  ])('16 callers each starting and awaiting workflows (%s) in a loop: a statement carries about all 16 (the lane settles)', async (_shape, taskQueue, workflowName) => {
    // Each answer sets off what is submitted next: result() waiters start their next workflows, and a
    // started workflow runs to its finish, a turn or two of the event loop later. The lane waits for
    // them (LANE_SETTLE_TURNS), so each statement carries the next move of every caller; sent at once,
    // each carried about 7 of the 32 items under way, and a new hop on that path brings that back.
    // With an activity the finish comes a turn later and behind the lane's own callback of that turn:
    // one more microtask hop in the start's answer (a review's async wrapper) put the dispatch behind
    // the lane's, and the 16 workflows split into two cohorts of 8 (8.0 items a statement).
    // every statement of the lane, alone or grouped (a grouped one may carry both kinds)
    const statements = () =>
      [jobs.startJob, threads.finishThread, jobs.startJobs, threads.finishThreads, both.startsAndFinishes].reduce((n, q) => n + sent(q), 0);
    /** 16 callers, 12 workflows each: the items a statement carried. */
    const itemsPerStatement = async (round: number): Promise<number> => {
      const base = `settle-${workflowName}-${round}-${Date.now()}`;
      const before = { statements: statements(), start: engine.writes.stats('start').items, finish: engine.writes.stats('finish').items };
      await Promise.all(
        Array.from({ length: 16 }, async (_, caller) => {
          for (let k = 0; k < 12; k++) {
            const id = `${base}-${caller}-${k}`;
            const handle = await mf.workflow.start({ taskQueue, workflowName, workflowId: id, args: [id] });
            expect(await handle.result()).toBe(`${id}:done`);
          }
        }),
      );
      const starts = engine.writes.stats('start').items - before.start;
      const finishes = engine.writes.stats('finish').items - before.finish;
      expect([starts, finishes]).toEqual([192, 192]);
      return (starts + finishes) / (statements() - before.statements);
    };
    // 384 items under way 16 at a time: 15.4 a statement here (6.4-7.5 sent at once, 8 after one turn,
    // 8.0 and 10.7 with the regressions above, in every round). On a loaded machine (the full suite
    // runs three files at once) a cohort split once (12.4 in one full-suite run; the same file alone
    // measured 15+ three times; 12.8 then 14.2 in a loaded run here): up to two more rounds are
    // measured then, and the best one counts.
    let best = await itemsPerStatement(0);
    for (let round = 1; round < 3 && best < 13; round++) best = Math.max(best, await itemsPerStatement(round));
    expect(best).toBeGreaterThanOrEqual(13);
  });

  it('a start and a finish queued behind the same statement go in one statement, and both are right', async () => {
    // x's start goes alone and is held at the database; y's start and then z's finish queue behind it,
    // and must go out together, as one grouped.startsAndFinishes. The held start frees its lane after
    // LANE_PATIENCE_MS (200 ms, engine.ts) whatever: the two must have reached the lane before that.
    // Here they do within 15 ms of x's start (0.4-14 ms measured, with the CPU loaded too); a loaded
    // machine once took ~85 ms with the sleeps this test had. A round that queued them 150 ms or more after x's start and did not
    // combine them proves nothing, and another round runs (three at most); a round that queued them
    // sooner and did not combine them fails, so an engine that never combines a start with a finish
    // fails in its first round.
    const startOne = engine.bind(jobs.startJob).text;
    /** `start:<job id>` or `finish:<job id>` -> when it was submitted to the engine's write lane. */
    const submitted = new Map<string, number>();
    const lane = engine.writes;
    const { start: laneStart, finish: laneFinish } = WriteLane.prototype;
    lane.start = (params) => (submitted.set(`start:${params.jobId}`, performance.now()), laneStart.call(lane, params));
    lane.finish = (params) => (submitted.set(`finish:${params.jobId}`, performance.now()), laneFinish.call(lane, params));
    /** One round: statements of both kinds it sent, and how long after x's start y's start and z's finish had both reached the lane. */
    const mixedRound = async (round: number) => {
      const base = `mixed-${Date.now()}-${round}`;
      const [x, y, z] = [`${base}-x`, `${base}-y`, `${base}-z`];
      let openGate!: () => void;
      gates.set(z, new Promise<void>((r) => (openGate = r)));
      const zHandle = await mf.workflow.start({ taskQueue: 'group-gated', workflowName: 'gated', workflowId: z, args: [z] });
      await until(() => gateReached.has(z));
      // x's start goes alone and holds the lane (for less than its 200 ms patience)
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      let holding = false;
      tamper = (sql) => (sql === startOne && !holding ? ((holding = true), { before: held }) : undefined);
      const combinedBefore = sent(both.startsAndFinishes);
      try {
        const xStarted = start(x);
        await until(() => holding);
        const yStarted = start(y); // queued behind x's start
        openGate(); // z's activity returns: its finish queues there too
        await until(() => submitted.has(`start:${y}`) && submitted.has(`finish:${z}`));
        const queuedAfterMs = Math.max(submitted.get(`start:${y}`)!, submitted.get(`finish:${z}`)!) - submitted.get(`start:${x}`)!;
        release();
        const results = await Promise.all([zHandle.result(), (await xStarted).result(), (await yStarted).result()]);
        expect(results).toEqual([`${z}:gated`, `${x}:done`, `${y}:done`]);
        for (const id of [x, y]) expect(runs.get(id)).toBe(1);
        return { combined: sent(both.startsAndFinishes) - combinedBefore, queuedAfterMs };
      } finally {
        release();
        tamper = undefined;
      }
    };
    try {
      const rounds: Array<{ combined: number; queuedAfterMs: number }> = [];
      for (let round = 0; round < 3; round++) {
        const outcome = await mixedRound(round);
        rounds.push(outcome);
        if (outcome.combined === 1) break;
        // not combined: only a round whose lane may have freed before both were queued is excused
        expect(outcome.queuedAfterMs, `round ${round} queued both in time and sent ${outcome.combined} combined statements`).toBeGreaterThanOrEqual(150);
      }
      expect(rounds.at(-1)!.combined, `every round queued them too late to tell: ${JSON.stringify(rounds)}`).toBe(1);
    } finally {
      Reflect.deleteProperty(lane, 'start');
      Reflect.deleteProperty(lane, 'finish');
    }
  });

  it('a duplicate id in a group fails only its own start, with DuplicateJobError', async () => {
    const base = `dup-${Date.now()}`;
    await (await start(`${base}-taken`)).result();
    // a group of starts goes alone, or with the finishes queued beside it
    const groups = () => sent(jobs.startJobs) + sent(both.startsAndFinishes);
    const groupsBefore = groups();
    // one alone, the rest queued behind it: one group holding both duplicates
    const ids = [`${base}-0`, `${base}-1`, `${base}-taken`, `${base}-2`, `${base}-2`, `${base}-3`];
    const settled = await Promise.allSettled(ids.map((id) => start(id)));
    expect(groups() - groupsBefore).toBeGreaterThan(0);
    const failed = settled.map((s) => (s.status === 'rejected' ? (s.reason as Error).name : 'started'));
    expect(failed.filter((f) => f === 'DuplicateJobError')).toHaveLength(2);
    expect(failed[2]).toBe('DuplicateJobError'); // the id a finished job holds
    expect([failed[3], failed[4]].sort()).toEqual(['DuplicateJobError', 'started']);
    for (const s of settled) if (s.status === 'fulfilled') await expect(s.value.result()).resolves.toBe(`${s.value.workflowId}:done`);
    expect(runs.get(`${base}-2`)).toBe(1);
  });

  it('a group the database refuses for one item fails only that job (598), the others complete', async () => {
    const base = `refused-${Date.now()}`;
    const bad = `${base}-3`;
    const one = engine.bind(threads.finishThread).text;
    const many = engine.bind(threads.finishThreads).text;
    const combined = engine.bind(both.startsAndFinishes).text;
    const outputAt = threads.finishThread.params.indexOf('output');
    const jobAt = threads.finishThread.params.indexOf('jobId');
    const statusAt = threads.finishThread.params.indexOf('status');
    let groupsRefused = 0;
    // the bad job's result is one PostgreSQL refuses (a jsonb \u0000 escape: 22P05), alone or grouped
    tamper = (sql, params) => {
      if (sql === one && params[jobAt] === bad && params[statusAt] === 'completed') return { params: params.map((p, i) => (i === outputAt ? '"\\u0000"' : p)) };
      // the finishes are the first parameter of finishThreads, the second of startsAndFinishes
      const at = sql === many ? 0 : sql === combined ? 1 : -1;
      if (at < 0) return undefined;
      const items = JSON.parse(params[at] as string) as Array<{ jobId: string; status: string; output: string | null }>;
      const hit = items.find((it) => it.jobId === bad && it.status === 'completed');
      if (!hit) return undefined;
      groupsRefused++;
      hit.output = '"\\u0000"';
      return { params: params.map((p, i) => (i === at ? JSON.stringify(items) : p)) };
    };
    try {
      const ids = Array.from({ length: 24 }, (_, i) => `${base}-${i}`);
      const outcomes = await Promise.all(
        ids.map(async (id) =>
          (await start(id)).result().then(
            (value) => value,
            (err: { code?: number; message?: string }) => `failed ${err.code}: ${err.message}`,
          ),
        ),
      );
      for (const [i, id] of ids.entries()) {
        if (id === bad) expect(outcomes[i]).toMatch(/^failed 598: .*finishThread.*22P05/s);
        else expect(outcomes[i]).toBe(`${id}:done`);
        expect(runs.get(id)).toBe(1);
      }
      // the refusal met a group (not only the bad job's own statement): the others were sent again alone
      expect(groupsRefused).toBeGreaterThan(0);
    } finally {
      tamper = undefined;
    }
  });

  it('a start group whose answer is lost after it committed: each caller gets that error, and each job runs once', async () => {
    const base = `lost-start-${Date.now()}`;
    // the starts queued behind the first go as a group, alone or with the first job's finish
    const lost = loseAnswerOnce(engine.bind(jobs.startJobs).text, engine.bind(both.startsAndFinishes).text);
    try {
      const ids = Array.from({ length: 12 }, (_, i) => `${base}-${i}`);
      const settled = await Promise.allSettled(ids.map((id) => start(id)));
      expect(lost.count).toBe(1);
      const errors = settled.filter((s) => s.status === 'rejected').map((s) => (s as PromiseRejectedResult).reason as Error);
      // the callers of the lost group: the error of their own statement, never a DuplicateJobError
      // (sending the group's items again would have found their own jobs)
      expect(errors.length).toBeGreaterThan(0);
      for (const e of errors) expect(e.message).toBe('Connection terminated unexpectedly');
      // every job committed; the held ones are given back and run, once each
      for (const id of ids) await expect((await mf.workflow.getHandle('group', 'echoOnce', id)).result()).resolves.toBe(`${id}:done`);
      for (const id of ids) expect(runs.get(id)).toBe(1);
    } finally {
      tamper = undefined;
    }
  });

  it('a group whose answer is lost after it committed still ends each job once, and result() hears it', async () => {
    const base = `lost-${Date.now()}`;
    const many = engine.bind(threads.finishThreads).text;
    const lost = loseAnswerOnce(many);
    try {
      const ids = Array.from({ length: 24 }, (_, i) => `${base}-${i}`);
      const t0 = performance.now();
      const results = await Promise.all(ids.map(async (id) => (await start(id)).result()));
      expect(results).toEqual(ids.map((id) => `${id}:done`));
      expect(lost.count).toBe(1);
      for (const id of ids) expect(runs.get(id)).toBe(1);
      // the finishing engine reads the rows of a lost finish at once, not at result()'s next poll: that
      // poll comes POLL_MS (2 s, result-waiter.ts) after each waiter began, so without the read this
      // takes over 2 s (2.06-2.58 s measured with it removed; with it 65-154 ms, 570-625 ms with the CPU loaded)
      expect(performance.now() - t0).toBeLessThan(1_900);
    } finally {
      tamper = undefined;
    }
  });

  it('a group of starts answers, and writes, what each start alone does (set-based since 0052)', async () => {
    const base = `shape-${Date.now()}`;
    const topic = 'group-nobody-serves';
    const item = (jobId: string, owner: string | null, search = '{}') => ({
      jobId,
      entity: null,
      workflowName: 'shape',
      taskQueue: 'group-nobody',
      input: JSON.stringify([jobId]),
      options: '{"trace":null}',
      search,
      parentId: null,
      topic,
      channel: engine.channel,
      origin: '@elsewhere', // not this engine's tag: its NOTIFY comes back to this engine
      owner,
      leaseSeconds: owner ? 30 : null,
      notify: true,
    });
    const heard: string[] = [];
    const off = engine.onTopic((t) => t === topic && heard.push(t));
    try {
      await engine.query(jobs.startJob, item(`${base}-taken`, null));
      const alone = [
        (await engine.query(jobs.startJob, item(`${base}-a1`, null, '{"_color":"red"}'))).rows[0],
        (await engine.query(jobs.startJob, item(`${base}-b1`, 'test-owner'))).rows[0],
      ];
      const items = [item(`${base}-b2`, 'test-owner'), item(`${base}-a2`, null, '{"_color":"red"}'), item(`${base}-taken`, null), item(`${base}-b2`, null)];
      const grouped = (await engine.query(jobs.startJobs, { items: JSON.stringify(items.map((it, i) => ({ ...it, i }))) })).rows;
      // one row per job started, for the first item with its id; none for an id already taken
      expect(grouped.map((r) => r.idx).sort()).toEqual([0, 1]);
      const shape = (row: object | undefined, id: string) => {
        const { id: taskId, db_now: dbNow, idx: _idx, ...rest } = row as Record<string, unknown>;
        expect(typeof taskId).toBe('string');
        expect(Math.abs(Number(dbNow) - Date.now())).toBeLessThan(60_000);
        return JSON.parse(JSON.stringify(rest).replaceAll(id, 'ID'));
      };
      const byIdx = new Map(grouped.map((r) => [r.idx, r]));
      expect(shape(byIdx.get(1), `${base}-a2`)).toEqual(shape(alone[0], `${base}-a1`));
      expect(shape(byIdx.get(0), `${base}-b2`)).toEqual(shape(alone[1], `${base}-b1`));
      // the same rows written: thread, task (held or runnable), search fields
      const written = async (id: string) => {
        const r = await engine.driver.query(
          `SELECT t.lease_owner, t.claims, t.run_at > now() + interval '10 seconds' AS leased, th.args, th.workflow_name,
                  (SELECT json_agg(json_build_array(field, value)) FROM ${engine.sqlSchema}.jobs_attributes WHERE job_id = $1) AS attributes
             FROM ${engine.sqlSchema}.tasks t JOIN ${engine.sqlSchema}.threads th ON th.job_id = t.job_id AND th.thread = t.thread
            WHERE t.job_id = $1`,
          [id],
        );
        return JSON.parse(JSON.stringify(r.rows).replaceAll(id, 'ID'));
      };
      expect(await written(`${base}-a2`)).toEqual(await written(`${base}-a1`));
      expect(await written(`${base}-b2`)).toEqual(await written(`${base}-b1`));
      expect((await written(`${base}-a2`))[0].attributes).toEqual([['_color', 'red']]);
      // a runnable task's topic was notified
      await until(() => heard.length > 0);
    } finally {
      off();
    }
  });

  /** A job started held by a worker that never runs it (a topic nobody serves): its main task's lease. */
  const heldStart = async (jobId: string, workflowName = 'lock') => {
    const row = (
      await engine.query(jobs.startJob, {
        jobId, entity: null, workflowName, taskQueue: 'group-nobody', input: '[]', options: '{"trace":null}', search: '{}',
        parentId: null, topic: 'group-nobody-serves', channel: engine.channel, origin: engine.origin, owner: 'test-owner', leaseSeconds: 30, notify: false,
      })
    ).rows[0]!;
    return { taskId: row.id, claims: row.claims, jobId, thread: 'main' };
  };
  type Lease = Awaited<ReturnType<typeof heldStart>>;
  /** The `i`th item of a group: `lease`'s thread completes with output 1, no results pending. */
  const plainFinish = (lease: Lease, i: number) => ({
    ...lease, i, entries: '[]', stamps: '[]', status: 'completed', output: '1', error: null, expireSeconds: null, channel: engine.channel, origin: engine.origin,
  });
  /** `fn`'s answer, from a transaction rolled back after it. */
  const rolledBack = async <T>(fn: (tx: Transaction) => Promise<T>): Promise<T> => {
    const rollback = new Error('rollback');
    return engine.driver
      .transaction(async (tx) => {
        throw Object.assign(rollback, { answer: await fn(tx) });
      })
      .catch((err) => {
        if (err !== rollback) throw err;
        return (err as Error & { answer: T }).answer;
      });
  };
  /** A backlog: 20k tasks nobody serves, due tomorrow. */
  const addBacklog = (tx: Transaction, base: string) =>
    tx.query(
      `INSERT INTO ${engine.sqlSchema}.tasks (job_id, thread, kind, topic, run_at)
       SELECT $1 || g, 'main', 'thread', 'group-nobody-serves', now() + interval '1 day' FROM generate_series(1, 20000) g`,
      [`${base}-backlog-`],
    );
  /** Sequential scans of this app's `tables` so far in `tx`'s transaction. */
  const seqScans = async (tx: Transaction, tables: string[]) =>
    (
      await tx.query<{ n: number }>(
        `SELECT coalesce(sum(seq_scan), 0)::int AS n FROM pg_stat_xact_user_tables
          WHERE relid IN (SELECT ($1 || '.' || t)::regclass FROM unnest($2::text[]) t)`,
        [engine.sqlSchema, tables],
      )
    ).rows[0]!.n;
  /** Finish `leases` as one group in `tx`: the sequential scans of `tables` it made, and how many threads ended. */
  const finishCountingScans = async (tx: Transaction, leases: Lease[], tables: string[]) => {
    const before = await seqScans(tx, tables);
    const rows = (await engine.queryIn(tx, threads.finishThreads, { items: JSON.stringify(leases.map(plainFinish)) })).rows;
    return { scans: (await seqScans(tx, tables)) - before, ended: rows.filter((r) => r.notice !== null).length };
  };

  it('a group of finishes locks its task rows by their key, never by scanning the task queue (0054)', async () => {
    // 0053 locked the group's tasks through a join the planner sized at 100 rows: below about 25k
    // task rows, a hash join over a sequential scan of the whole queue, once per group (0.8 ms of a
    // 3 ms finish statement at a bench database's 13k rows). This transaction's scan count shows it.
    const base = `finish-lock-${Date.now()}`;
    const leases: Lease[] = [];
    for (const c of ['a', 'b', 'c']) leases.push(await heldStart(`${base}-${c}`));
    const seen = await rolledBack(async (tx) => {
      await addBacklog(tx, base);
      // the queue grew since its last ANALYZE (as between two of autovacuum's). PL/pgSQL caches a
      // plan per session: one made on this connection while the queue was small would stand until
      // the next ANALYZE, so the test starts from none, and does not depend on what ran here before
      await tx.query('DISCARD PLANS');
      return finishCountingScans(tx, leases, ['tasks']);
    });
    expect(seen).toEqual({ scans: 0, ended: 3 });
  });

  it('a group of finishes scans neither the queue nor the jobs table, even with plans cached while they were small (0056)', async () => {
    // PL/pgSQL caches a session's plans: made while the tables held a few rows, they scanned them,
    // and stood as the tables grew (until an ANALYZE). 0056 runs the function without sequential scans.
    const base = `finish-cached-${Date.now()}`;
    const leases: Lease[] = [];
    for (const c of ['a', 'b', 'c']) leases.push(await heldStart(`${base}-${c}`));
    const seen = await rolledBack(async (tx) => {
      await tx.query('DISCARD PLANS');
      // statistics from while the tables were small (as autovacuum's, or the embedded driver's, ANALYZE leaves them)
      await tx.query(`ANALYZE ${engine.sqlSchema}.tasks, ${engine.sqlSchema}.jobs`);
      // plans made now, while this app's queue is empty: finishes of tasks no one holds (each answers
      // NULL and writes nothing), past the five calls after which PL/pgSQL may keep a generic plan
      for (let n = 0; n < 8; n++) {
        const ghosts = ['x', 'y'].map((c, i) => plainFinish({ taskId: String(9_000_000_000 + n * 10 + i), claims: 1, jobId: `${base}-ghost-${n}${c}`, thread: 'main' }, i));
        const answered = (await engine.queryIn(tx, threads.finishThreads, { items: JSON.stringify(ghosts) })).rows;
        expect(answered.map((r) => r.notice)).toEqual([null, null]);
      }
      // then the tables grow (no ANALYZE in between)
      await addBacklog(tx, base);
      return finishCountingScans(tx, leases, ['tasks', 'jobs']);
    });
    expect(seen).toEqual({ scans: 0, ended: 3 });
  });

  it('a group of finishes answers, and writes, what each finish alone does (set-based since 0053)', async () => {
    const base = `finish-shape-${Date.now()}`;
    const sql = engine.sqlSchema;
    const held = (jobId: string) => heldStart(jobId, 'shape');
    const entry = (seq: number, value: unknown) => ({ seq, kind: 'activity', name: 'step', status: 'done', result: JSON.stringify(value), attempt: 1, batch: seq });
    const finish = (lease: { taskId: string; claims: number; jobId: string; thread: string }, entries: object[], stamps: object[] = []) => ({
      ...lease, entries: JSON.stringify(entries), stamps: JSON.stringify(stamps), status: 'completed' as const,
      output: JSON.stringify({ ok: lease.jobId.slice(-1) }), error: null, expireSeconds: null, channel: engine.channel, origin: engine.origin,
    });
    /**
     * Five cases: ends with its results; lease lost; a result refused (its seq already done); ends with
     * a stamp; ends though its job row is gone (a review found the group answered NULL there, after
     * ending the thread, where a finish alone answers its notice).
     */
    const cases = async (tag: string) => {
      const [plain, lost, refused, stamped, orphan] = await Promise.all(['p', 'l', 'r', 's', 'o'].map((c) => held(`${base}-${tag}-${c}`)));
      await engine.driver.query(`DELETE FROM ${sql}.jobs WHERE id = $1`, [orphan!.jobId]);
      await engine.driver.query(
        `INSERT INTO ${sql}.journal (job_id, thread, seq, kind, name, status, result, batch) VALUES ($1, 'main', 1, 'activity', 'step', 'done', '"earlier"', 1)`,
        [refused!.jobId],
      );
      await engine.driver.query(
        `INSERT INTO ${sql}.journal (job_id, thread, seq, kind, name, status, result) VALUES ($1, 'main', 1, 'signal', 's', 'done', '"sig"')`,
        [stamped!.jobId],
      );
      return [
        finish(plain!, [entry(1, 'a'), entry(2, 'b')]),
        finish({ ...lost!, claims: lost!.claims + 1 }, [entry(1, 'a')]),
        finish(refused!, [entry(1, 'a'), entry(2, 'b')]),
        finish(stamped!, [entry(2, 'b')], [{ batch: 1, seqs: [1], timers: [] }]),
        finish(orphan!, [entry(1, 'a')]),
      ];
    };
    const alone = await cases('one');
    const answersAlone = [];
    for (const item of alone) answersAlone.push((await engine.query(threads.finishThread, item)).rows[0]!.notice);
    const grouped = await cases('many');
    const rows = (await engine.query(threads.finishThreads, { items: JSON.stringify(grouped.map((it, i) => ({ ...it, i }))) })).rows;
    const answersGrouped = grouped.map((_, i) => rows.find((r) => r.idx === i)?.notice);
    const tagless = (v: unknown, tag: string) => JSON.parse(JSON.stringify(v).replaceAll(`-${tag}-`, '-'));
    expect(tagless(answersGrouped, 'many')).toEqual(tagless(answersAlone, 'one'));
    expect(answersAlone.map((n) => n === null)).toEqual([false, true, true, false, false]);
    const state = async (tag: string) => {
      const r = await engine.driver.query(
        `SELECT th.job_id AS id, j.status AS job, th.status AS thread, th.output, (SELECT count(*) FROM ${sql}.tasks t WHERE t.job_id = th.job_id)::int AS tasks,
                (SELECT json_agg(json_build_array(seq, status, result, batch) ORDER BY seq) FROM ${sql}.journal WHERE job_id = th.job_id) AS journal
           FROM ${sql}.threads th LEFT JOIN ${sql}.jobs j ON j.id = th.job_id
          WHERE th.thread = 'main' AND th.job_id LIKE $1 ORDER BY th.job_id`,
        [`${base}-${tag}-%`],
      );
      return tagless(r.rows, tag);
    };
    expect(await state('many')).toEqual(await state('one'));
  });
});
