/**
 * A real worker process for the hook crash tests (spawned by kill-hook.test.ts, never imported).
 *
 *   node --import tsx test/fault/hook-process.ts '<json HookFaultConfig>'
 *
 * One hook function, `counterHook`, interleaves context ops with two activities; the second activity
 * hangs in the first process (so the test can SIGKILL it there) while a context op of the same
 * delivery wave commits. How the hook starts:
 *   - `exec`:    the main workflow `seeded` seeds the context, runs the hook with `execHook` (waiting
 *                for its signal), then appends one more element and returns.
 *   - `outside`: the main workflow `holder` seeds the context and finishes; then a client starts the
 *                hook on the finished job with `handle.hook`.
 *
 * Modes:
 *   - `start`:  serve the functions, start the job (and, `outside`, the hook), wait until the hook is
 *               inside the hanging activity with every earlier op committed, print a SNAPSHOT of the
 *               database, and stay up until the test SIGKILLs it.
 *   - `resume`: serve the same functions on the same app, wait for the main workflow's result (`exec`)
 *               or the hook thread's end (`outside`), print it, shut down cleanly and exit 0.
 *
 * Protocol (one line each, on stdout): `READY`, `STARTED <jobId>`, `HOOK <thread>`, `RUNNING <arg>`,
 * `SNAPSHOT <json>`, `RESULT <json>`, `ERROR <json>`.
 *
 * Every activity execution is counted durably: a JSON line is appended (and fsynced) to `logFile`
 * before the activity does anything else, and another when it returns.
 */
import { MemFlow } from '../../src/index.js';
import { eventually } from '../support/backend.js';
import { type BackendConfig, configFromArgv, connectionFor, exitWithError, exitWithResult, say } from './support/child-side.js';
import { appendDurably } from './support/execution-log.js';

export interface HookFaultConfig extends BackendConfig {
  mode: 'start' | 'resume';
  start: 'exec' | 'outside';
  appId: string;
  workflowId: string;
  /** The hook's thread id, once known (`outside` resume). */
  hookThread?: string;
  /** Append-only execution log shared by every process of one test. */
  logFile: string;
  /** Activity arg whose execution hangs in this process (start mode). */
  hangOn?: string;
  leaseSeconds: number;
}

export interface HookExecutionRecord {
  ev: 'start' | 'end';
  arg: string;
  pid: number;
  key: string;
  attempt: number;
  thread: string;
}

export interface ContextLogRow {
  version: number;
  op: string;
  path: string[];
  arg: unknown;
  actor: string;
}

export interface Snapshot {
  context: unknown;
  contextVersion: number;
  contextLog: ContextLogRow[];
  /** The hook thread's journal rows: `seq kind name status`. */
  hookJournal: string[];
}

const TASK_QUEUE = 'hookfault';
const SIGNAL_ID = 'counter-hook-done';
/** Context ops that must have committed (with the seed) before the kill: set + 5 of the hook's. */
const COMMITTED_BEFORE_KILL = 6;

const config = configFromArgv<HookFaultConfig>();

function record(ev: HookExecutionRecord['ev'], arg: string): void {
  const ctx = MemFlow.activity.getContext();
  const entry: HookExecutionRecord = {
    ev, arg, pid: process.pid, key: ctx.idempotencyKey, attempt: ctx.attempt, thread: ctx.thread,
  };
  appendDurably(config.logFile, entry);
}

const acts = MemFlow.workflow.proxyActivities({
  activities: {
    async step(arg: string): Promise<string> {
      record('start', arg);
      if (arg === config.hangOn) {
        say(`RUNNING ${arg}`);
        await new Promise((resolve) => setTimeout(resolve, 600_000)); // until SIGKILL
      }
      record('end', arg);
      return `${arg}:done`;
    },
  },
  retryPolicy: { maximumAttempts: 1, maximumInterval: '1s', backoffCoefficient: 1 },
});

/**
 * The hook: context ops interleaved with activities. The counter steps are powers of ten, so the final
 * value names any step applied twice. Seqs: 1 increment, 2 append, 3 step h1, 4-5 increment + append
 * (one wave), 6-7 step h2 + increment (one wave; the kill lands in h2 after the increment committed),
 * 8 append, 9 increment, 10 get, 11 signal.
 */
async function counterHook(label: string): Promise<{ counter: number; log: string[] }> {
  const ctx = await MemFlow.workflow.context();
  await ctx.increment('counter');
  await ctx.append('log', label);
  const h1 = await acts.step('h1');
  await Promise.all([ctx.increment('counter', 10), ctx.append('log', h1)]);
  const [h2] = await Promise.all([acts.step('h2'), ctx.increment('counter', 100)]);
  await ctx.append('log', h2);
  await ctx.increment('counter', 1000);
  const { counter, log } = await ctx.get();
  const summary = { counter, log };
  await MemFlow.workflow.signal(SIGNAL_ID, summary); // answers execHook; kept on the job otherwise
  return summary;
}

const SEED = { counter: 0, log: ['seed'] };

/** `exec`: seed, run the hook and wait for it, then one more op after it. */
async function seeded(label: string) {
  const ctx = await MemFlow.workflow.context();
  await ctx.set(SEED);
  const reply = await MemFlow.workflow.execHook<{ counter: number; log: string[] }>({
    taskQueue: TASK_QUEUE,
    workflowName: 'counterHook',
    args: [label],
    signalId: SIGNAL_ID,
  });
  const log = await ctx.append('log', 'after-hook');
  return { reply, log };
}

/** `outside`: seed and finish; the hook comes later, from a client. */
async function holder() {
  const ctx = await MemFlow.workflow.context();
  await ctx.set(SEED);
  return 'seeded';
}

const main = config.start === 'exec' ? seeded : holder;

const mf = await MemFlow.init({ appId: config.appId, engine: { connection: connectionFor(config) } });
for (const workflow of [main, counterHook]) {
  await mf.worker.create({ taskQueue: TASK_QUEUE, workflow, options: { leaseSeconds: config.leaseSeconds } });
}
const engine = await mf.client.engine(config.appId);
const schema = `"${engine.schema}"`;
say('READY');

/** The job's context, its context log and the hook's journal, read in ONE statement (one snapshot). */
async function snapshot(hookThread: string): Promise<Snapshot> {
  const res = await engine.driver.query<{ context: unknown; version: string; log: ContextLogRow[] | null; journal: string[] | null }>(
    `SELECT j.context, j.context_version::text AS version,
            (SELECT json_agg(json_build_object('version', l.version, 'op', l.op, 'path', l.path, 'arg', l.arg, 'actor', l.actor)
                             ORDER BY l.version)
               FROM ${schema}.context_log l WHERE l.job_id = j.id) AS log,
            (SELECT json_agg(concat_ws(' ', r.seq, r.kind, r.name, r.status) ORDER BY r.seq)
               FROM ${schema}.journal r WHERE r.job_id = j.id AND r.thread = $2) AS journal
       FROM ${schema}.jobs j WHERE j.id = $1`,
    [config.workflowId, hookThread],
  );
  const row = res.rows[0]!;
  return { context: row.context, contextVersion: Number(row.version), contextLog: row.log ?? [], hookJournal: row.journal ?? [] };
}

/** Poll `check` (every 20 ms, up to 20 s) until it answers something. */
async function until<T>(what: string, check: () => Promise<T | undefined>): Promise<T> {
  return eventually(check, 20_000, 20).catch(() => {
    throw new Error(`timed out waiting for ${what}`);
  });
}

/** `start`: start the job (and, `outside`, the hook), report until A is inside the hanging activity. */
async function startAndReport(): Promise<void> {
  const handle = await mf.workflow.start({ workflowName: main.name, taskQueue: TASK_QUEUE, workflowId: config.workflowId, args: ['a'] });
  say(`STARTED ${handle.workflowId}`);
  let hookThread: string;
  if (config.start === 'outside') {
    await handle.result(); // the main function is done before the hook starts
    hookThread = await handle.hook({ taskQueue: TASK_QUEUE, workflowName: 'counterHook', args: ['a'] });
  } else {
    hookThread = await until('the hook thread', async () => {
      const res = await engine.driver.query<{ thread: string }>(
        `SELECT thread FROM ${schema}.threads WHERE job_id = $1 AND thread <> 'main'`,
        [config.workflowId],
      );
      return res.rows[0]?.thread;
    });
  }
  say(`HOOK ${hookThread}`);
  // The hook is inside the hanging activity: report once every op before it (and the increment of
  // its own wave) has committed. From here on this process only waits for SIGKILL.
  const snap = await until('the committed ops before the kill', async () => {
    const s = await snapshot(hookThread);
    return s.contextVersion >= COMMITTED_BEFORE_KILL ? s : undefined;
  });
  say(`SNAPSHOT ${JSON.stringify(snap)}`);
}

/** `resume`: the main workflow's result (`exec`), or the hook thread's end (`outside`). */
async function resumed(): Promise<unknown> {
  if (config.start === 'exec') return (await mf.workflow.getHandle(TASK_QUEUE, main.name, config.workflowId)).result();
  return until('the hook thread to finish', async () => {
    const res = await engine.driver.query<{ status: string; output: unknown; error: unknown }>(
      `SELECT status, output, error FROM ${schema}.threads WHERE job_id = $1 AND thread = $2`,
      [config.workflowId, config.hookThread],
    );
    const row = res.rows[0];
    return row && row.status !== 'running' ? row : undefined;
  });
}

const shutdown = () => mf.shutdown();
if (config.mode === 'start') await startAndReport().catch((err) => exitWithError(shutdown, err));
else await exitWithResult(shutdown, resumed);
