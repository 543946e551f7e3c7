/**
 * A real worker process for dropped-connections.test.ts (spawned by it, never imported except for its
 * types). PostgreSQL only.
 *
 *   node --import tsx test/fault/dropped-connections-process.ts '<json DropConfig>'
 *
 * Every session this process opens (the pool and the LISTEN client) carries `applicationName`, so the
 * test can terminate exactly these backends, over and over, while the process works.
 *
 * The process serves `steady`, starts `count` of them (one every `staggerMs`), applies two outside
 * context increments to each (with an op id, retried through dropped connections), and waits for every
 * result. Protocol (one line each, on stdout):
 *   `READY`, `STARTED <id>`, `RESULT <id> <json>`, `DONE <n>`, then (after `exit` on stdin) `BYE`;
 *   `FATAL <json>` if anything it was asked to do failed for good;
 *   `RETRIED <what> <tries>` when a call from outside (start, op-id increment) went through only
 *   after retries, and `START-REPLY-LOST <id>` when a start's retry met the job its lost reply made;
 *   `INJECTED <window> <ms>` when a planned drop (below) was made.
 *
 * The terminations hit the risky windows only by chance (once, 1 of 120 activities ran again), so
 * for the workflow `injectId` the process drops its own connection once in each, deterministically,
 * with the error a terminated backend gives: the start committed and its reply lost (`start`), an
 * outside op-id increment committed and its reply lost (`op-id`), and the journal write of an inline
 * activity's result lost before it ran (`activity-result`: the activity must run again, once).
 *
 * Every activity execution is counted durably: a JSON line is appended (and fsynced) to `logFile`
 * when it starts and when it returns; the end line carries the execution's own nonce, which is also
 * part of the value it returns, so the committed result names the execution that produced it.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { DuplicateJobError, MemFlow } from '../../src/index.js';
import { appendResult } from '../../src/sql/queries/journal.js';
import { isTransientDbError } from '../../src/storage/transient-error.js';
import { configFromArgv, say, untilCommand } from './support/child-side.js';
import { appendDurably } from './support/execution-log.js';

export interface DropConfig {
  appId: string;
  url: string;
  /** application_name of every session of this process (the test's termination target). */
  applicationName: string;
  logFile: string;
  count: number;
  staggerMs: number;
  leaseSeconds: number;
  /** The worker's longest polling interval when idle. */
  maxPollMs: number;
  /** Workflow ids are `<idPrefix><i>`. */
  idPrefix: string;
  /** The workflow whose risky windows get one planned drop each. */
  injectId: string;
}

/** Where a planned drop is made. */
export type DropWindow = 'start' | 'op-id' | 'activity-result';

export interface DropExecution {
  ev: 'start' | 'end';
  arg: string;
  pid: number;
  key: string;
  attempt: number;
  /** Unique per execution (the end line's nonce is inside the returned value). */
  nonce: string;
  at: number;
}

const TASK_QUEUE = 'dropped';

const config = configFromArgv<DropConfig>();

// Diagnostics only: a crash still crashes (the test sees the process gone), but says why first.
process.on('uncaughtExceptionMonitor', (err, origin) => say(`FATAL ${JSON.stringify({ origin, message: err.message, stack: err.stack })}`));

function record(entry: Omit<DropExecution, 'pid' | 'key' | 'attempt' | 'at'>): void {
  const ctx = MemFlow.activity.getContext();
  const line: DropExecution = { ...entry, pid: process.pid, key: ctx.idempotencyKey, attempt: ctx.attempt, at: Date.now() };
  appendDurably(config.logFile, line);
}

const acts = MemFlow.workflow.proxyActivities({
  activities: {
    async work(arg: string): Promise<string> {
      const nonce = randomUUID();
      record({ ev: 'start', arg, nonce });
      // long enough that some executions are in flight when their connection is terminated
      await new Promise((resolve) => setTimeout(resolve, 20 + Math.floor(Math.random() * 60)));
      record({ ev: 'end', arg, nonce });
      return `${arg}:${nonce}`;
    },
  },
  retryPolicy: { maximumAttempts: 1, maximumInterval: '1s', backoffCoefficient: 1 },
});

/** Three inline activities (one, then two in parallel), context increments, a sleep, a signal wait. */
async function steady(i: number) {
  const ctx = await MemFlow.workflow.context();
  const a = await acts.work(`${i}:a`);
  await ctx.increment('n', 1);
  const [b, c] = await Promise.all([acts.work(`${i}:b`), acts.work(`${i}:c`)]);
  await Promise.all([ctx.increment('n', 10), ctx.increment('n', 100)]);
  await MemFlow.workflow.sleepFor('1 second');
  const go = await MemFlow.workflow.waitFor<{ i: number }>('go');
  const n = await ctx.increment('n', 1000);
  return { i, a, b, c, go, n };
}

/** Retry `fn` through dropped connections (what any caller of a database must do); anything else is fatal. */
async function persist<T>(what: string, fn: () => Promise<T>): Promise<T> {
  for (let tries = 1; ; tries++) {
    try {
      const value = await fn();
      if (tries > 1) say(`RETRIED ${what} ${tries}`);
      return value;
    } catch (err) {
      if (!isTransientDbError(err) || tries >= 200) throw new Error(`${what}: ${(err as Error).message}`, { cause: err });
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

const mf = await MemFlow.init({
  appId: config.appId,
  engine: { connection: { class: pg.Client, options: { connectionString: config.url, application_name: config.applicationName } } },
});
await mf.worker.create({ taskQueue: TASK_QUEUE, workflow: steady, options: { leaseSeconds: config.leaseSeconds, maxPollMs: config.maxPollMs } });
await planDrops();
say('READY');

/**
 * One planned drop per window for `injectId`: the driver fails the chosen statement once, as a
 * terminated backend does, after it committed ('after': only the reply is lost) or before it ran.
 * Statements are recognised by the SQL function they call and a parameter value, not by position.
 */
async function planDrops(): Promise<void> {
  const id = config.injectId;
  const i = Number(id.slice(config.idPrefix.length));
  const engine = await mf.client.engine(config.appId);
  const appendSql = engine.bind(appendResult).text; // a step's result, written by a statement of its own
  const plans: Array<{ window: DropWindow; when: 'before' | 'after'; matches: (sql: string, params: unknown[]) => boolean }> = [
    {
      window: 'start',
      when: 'after',
      // alone, or in a group of concurrent starts (migration 0050): the group's answer is lost then
      matches: (sql, params) =>
        (sql.includes('.start_job_held(') && params.includes(id)) ||
        (sql.includes('.start_jobs_held(') && String(params[0]).includes(`"jobId":${JSON.stringify(id)}`)),
    },
    { window: 'op-id', when: 'after', matches: (sql, params) => sql.includes('.context_op(') && params.includes(id) && params.includes('ext-1') },
    {
      window: 'activity-result',
      when: 'before',
      matches: (sql, params) =>
        sql === appendSql && params.includes(id) && params.some((p) => typeof p === 'string' && p.includes(`"${i}:a:`)),
    },
  ];
  const driver = engine.driver;
  const named = driver.named.bind(driver);
  const terminated = () => Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01', severity: 'FATAL' });
  driver.named = (async (name: string, sql: string, params: unknown[]) => {
    const k = plans.findIndex((p) => p.matches(sql, params));
    if (k < 0) return named(name, sql, params);
    const plan = plans[k]!;
    if (plan.when === 'after') {
      try {
        await named(name, sql, params);
      } catch (err) {
        // a random termination cut this very statement first: the plan waits for the retry
        say(`CUT ${plan.window}`);
        throw err;
      }
    }
    plans.splice(plans.indexOf(plan), 1);
    say(`INJECTED ${plan.window} ${Date.now()}`);
    throw terminated();
  }) as typeof driver.named;
}

async function one(i: number): Promise<void> {
  const workflowId = `${config.idPrefix}${i}`;
  await persist(`start ${workflowId}`, async () => {
    try {
      await mf.workflow.start({ workflowName: 'steady', taskQueue: TASK_QUEUE, workflowId, args: [i] });
    } catch (err) {
      // The first attempt committed but its reply was lost with the connection: the job is there.
      if (!(err instanceof DuplicateJobError)) throw err;
      say(`START-REPLY-LOST ${workflowId}`);
    }
  });
  say(`STARTED ${workflowId}`);
  const ctx = await mf.workflow.context(workflowId);
  // Outside ops with an op id: a retry after a dropped connection must not apply the op again.
  for (const k of [1, 2]) await persist(`ext ${workflowId}/${k}`, () => ctx.withOpId(`ext-${k}`).increment('ext', k));
  const handle = await mf.workflow.getHandle(TASK_QUEUE, 'steady', workflowId);
  const result = await handle.result();
  say(`RESULT ${workflowId} ${JSON.stringify(result)}`);
}

try {
  const all: Promise<void>[] = [];
  for (let i = 0; i < config.count; i++) {
    all.push(one(i));
    await new Promise((resolve) => setTimeout(resolve, config.staggerMs));
  }
  await Promise.all(all);
  say(`DONE ${config.count}`);
} catch (err) {
  say(`FATAL ${JSON.stringify({ message: (err as Error).message, stack: (err as Error).stack })}`);
}

// Stay up, serving, until the test says `exit` (it first checks this process is still alive).
await untilCommand('exit');
await mf.shutdown();
say('BYE');
process.exit(0);
