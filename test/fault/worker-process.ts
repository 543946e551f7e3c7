/**
 * A real worker process for the crash-recovery tests (spawned by kill-worker.test.ts, never imported).
 *
 *   node --import tsx test/fault/worker-process.ts '<json FaultConfig>'
 *
 * Scenarios: 'sleep', 'activity' (kill-worker.test.ts), 'steps' (paused-worker.test.ts).
 *
 * Modes:
 *   - `start`:  serve the workflows, start one job (`workflowId`), and report progress on stdout. It
 *               never exits by itself: the test SIGKILLs it.
 *   - `resume`: serve the same workflows on the same app, wait for the job's result, print it, shut
 *               down cleanly and exit 0.
 * With `standby`, either mode opens the app, prints `LOADED`, and waits for `serve` on stdin before
 * it serves: the test loads both processes side by side, then has each serve when it is time (B
 * within milliseconds of A's kill, however long loading took).
 *
 * Protocol (one line each, on stdout): `LOADED`, `READY`, `STARTED <id>`, `SLEEPING <dueMs>`,
 * `RUNNING <activity> <arg>`, `RESULT <json>`, `ERROR <json>`.
 *
 * Every activity execution is counted durably: a JSON line is appended (and fsynced) to `logFile`
 * before the activity does anything else, and another when it returns.
 */
import { MemFlow } from '../../src/index.js';
import { type BackendConfig, configFromArgv, connectionFor, exitWithResult, say, untilCommand } from './support/child-side.js';
import { appendDurably } from './support/execution-log.js';

export interface FaultConfig extends BackendConfig {
  mode: 'start' | 'resume';
  scenario: 'sleep' | 'activity' | 'steps';
  appId: string;
  /** Open the app, print LOADED, and serve only after `serve` on stdin. */
  standby?: boolean;
  workflowId: string;
  /** Append-only execution log shared by every process of one test. */
  logFile: string;
  /** Activity arg whose execution hangs in this process (so the test can kill it mid-activity). */
  hangOn?: string;
  sleepSeconds?: number;
  leaseSeconds: number;
}

export interface ExecutionRecord {
  ev: 'start' | 'end';
  name: string;
  arg: string;
  pid: number;
  key: string;
  attempt: number;
  at: number;
}

const config = configFromArgv<FaultConfig>();
const TASK_QUEUE = 'fault';

function record(ev: ExecutionRecord['ev'], name: string, arg: string): void {
  const ctx = MemFlow.activity.getContext();
  const entry: ExecutionRecord = { ev, name, arg, pid: process.pid, key: ctx.idempotencyKey, attempt: ctx.attempt, at: Date.now() };
  appendDurably(config.logFile, entry);
}

const acts = MemFlow.workflow.proxyActivities({
  activities: {
    async step(arg: string): Promise<string> {
      record('start', 'step', arg);
      if (arg === config.hangOn) {
        say(`RUNNING step ${arg}`);
        await new Promise((resolve) => setTimeout(resolve, 600_000)); // until SIGKILL
      }
      record('end', 'step', arg);
      return `${arg}:done`;
    },
  },
  retryPolicy: { maximumAttempts: 1, maximumInterval: '1s', backoffCoefficient: 1 },
});

/** Scenario 'sleep': one committed activity, a durable sleep (killed during it), one more activity. */
async function sleeper(seconds: number) {
  const before = await acts.step('before');
  const slept = await MemFlow.workflow.sleepFor(`${seconds} seconds`);
  const after = await acts.step('after');
  return { before, slept, after };
}

/** Scenario 'activity': committed steps (one sequential, two parallel), then the one killed mid-run, then one more. */
async function pipeline() {
  const one = await acts.step('one');
  const [twoA, twoB] = await Promise.all([acts.step('two-a'), acts.step('two-b')]);
  const three = await acts.step('three');
  const four = await acts.step('four');
  return [one, twoA, twoB, three, four];
}

/** Scenario 'steps': six steps in a row (paused-worker.test.ts holds back the journal write of the third). */
async function sixSteps() {
  const results: string[] = [];
  for (const arg of ['p1', 'p2', 'p3', 'p4', 'p5', 'p6']) results.push(await acts.step(arg));
  return results;
}

const workflow = config.scenario === 'sleep' ? sleeper : config.scenario === 'steps' ? sixSteps : pipeline;

const mf = await MemFlow.init({ appId: config.appId, engine: { connection: connectionFor(config) } });
if (config.standby) {
  say('LOADED');
  await untilCommand('serve');
}
await mf.worker.create({ taskQueue: TASK_QUEUE, workflow, options: { leaseSeconds: config.leaseSeconds } });
say('READY');

if (config.mode === 'start') {
  const args = config.scenario === 'sleep' ? [config.sleepSeconds ?? 3] : [];
  const handle = await mf.workflow.start({ workflowName: workflow.name, taskQueue: TASK_QUEUE, workflowId: config.workflowId, args });
  say(`STARTED ${handle.workflowId}`);
  if (config.scenario === 'sleep') {
    // Report once the sleep is durable: its timer row is journaled and the task released until it is due.
    const engine = await mf.client.engine(config.appId);
    for (;;) {
      const res = await engine.driver.query<{ due_ms: number }>(
        `SELECT (extract(epoch FROM j.due_at) * 1000)::float8 AS due_ms
           FROM "${engine.schema}".journal j JOIN "${engine.schema}".tasks t ON t.job_id = j.job_id
          WHERE j.job_id = $1 AND j.kind = 'sleep' AND j.due_at IS NOT NULL AND t.lease_owner IS NULL`,
        [config.workflowId],
      );
      if (res.rows[0]) {
        say(`SLEEPING ${Number(res.rows[0].due_ms)}`);
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  // Stay up, serving, until the test kills this process.
} else {
  await exitWithResult(
    () => mf.shutdown(),
    async () => (await mf.workflow.getHandle(TASK_QUEUE, workflow.name, config.workflowId)).result(),
  );
}
