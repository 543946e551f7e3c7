/**
 * The one process of a PGlite chaos run (spawned by pglite-run.ts, never imported): it owns the data
 * directory, serves every workflow of the workload, writes the ledger into the same database, and
 * runs the load's plan (pglite-plan.ts), skipping what an earlier process already did. The faults
 * SIGKILL it; the next process takes the stale lock over and goes on.
 *
 *   node --import tsx test/chaos/pglite-host.ts '<json HostConfig>'
 *
 * Protocol as chaos-worker.ts (`READY`, `IN <point> <jobId>`, `ERROR <message>`; `watch`, `unwatch`,
 * `exit` then `BYE`), plus `status` on stdin, answered `STATUS <running> <pending actions> <errors json>`.
 */
import fs from 'node:fs';
import readline from 'node:readline';
import { MemFlow } from '../../src/index.js';
import { schemaForApp } from '../../src/storage/sql-identifier.js';
import { arm, bindFaultPoints, disarm, type FaultPoint, faultPointsAtStatements } from './fault-points.js';
import { LEDGER_DDL } from './ledger.js';
import { Load, type PlannedJob } from './load.js';
import { type Action, ACTIONS_DDL } from './pglite-plan.js';
import { SeededRandom } from './seeded-random.js';
import { bindLedger, PROBE_PAUSE_SEQ, TASK_QUEUE, WORKFLOWS } from './workload.js';

export interface HostConfig {
  appId: string;
  dataDir: string;
  /** JSON file of the plan's actions. */
  planFile: string;
  leaseSeconds: number;
  concurrency: number;
  holdMs: number;
}

const config = JSON.parse(process.argv[2]!) as HostConfig;
const say = (line: string) => process.stdout.write(`${line}\n`);
const schema = `"${schemaForApp(config.appId)}"`;
bindFaultPoints({ holdMs: config.holdMs, announce: say });

let mf: Awaited<ReturnType<typeof MemFlow.init>>;
try {
  mf = await MemFlow.init({
    appId: config.appId,
    engine: { connection: { dataDir: config.dataDir } },
    worker: { leaseSeconds: config.leaseSeconds, concurrency: config.concurrency },
  });
} catch (err) {
  say(`ERROR ${JSON.stringify((err as Error).message)}`);
  process.exit(1);
}
const engine = await mf.client.engine(config.appId);
const driver = engine.driver;
await driver.exec(LEDGER_DDL + ACTIONS_DDL);
bindLedger({
  record: (e) =>
    driver.query(
      `INSERT INTO chaos.ledger (nonce, job_id, thread, seq, name, attempt, pid, began_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, to_timestamp($8::float8 / 1000)) ON CONFLICT (nonce) DO NOTHING`,
      [e.nonce, e.jobId, e.thread, e.seq, e.name, e.attempt, e.pid, e.beganAt],
    ),
});
for (const workflow of Object.values(WORKFLOWS)) {
  await mf.worker.create({ taskQueue: TASK_QUEUE, workflow, options: { leaseSeconds: config.leaseSeconds, concurrency: config.concurrency } });
}
faultPointsAtStatements(engine, PROBE_PAUSE_SEQ);
say('READY');

// ---- the plan --------------------------------------------------------------------------------------
const actions = JSON.parse(fs.readFileSync(config.planFile, 'utf8')) as Action[];
const done = new Set((await driver.query<{ id: string }>('SELECT id FROM chaos.actions_done')).rows.map((r) => r.id));
const load = new Load(mf, driver, schema, new SeededRandom(0));
const job = (id: string, kind: PlannedJob['kind']): PlannedJob => ({ id, kind, args: [], startedAt: 0, sids: [], outsideDigits: [], opDigits: [] });

async function perform(action: Action): Promise<void> {
  switch (action.type) {
    case 'start':
      await load.start(action.kind, action.args, { id: action.jobId });
      break;
    case 'signal':
      await load.signal(job(action.jobId, action.kind), action.signalId);
      break;
    case 'op':
      await load.outsideOp(job(action.jobId, 'ledger'), action.k);
      break;
    case 'hook':
      await load.outsideHook(job(action.jobId, 'ledger'), action.digit);
      break;
    case 'many':
      await load.many(action.kind, action.n, () => action.args, 16, action.prefix);
      break;
  }
  await driver.query('INSERT INTO chaos.actions_done (id) VALUES ($1) ON CONFLICT DO NOTHING', [action.id]);
  done.add(action.id);
}

const errors: string[] = [];
void (async () => {
  for (const action of actions) {
    if (done.has(action.id)) continue;
    const wait = action.at - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    void perform(action).catch((err) => errors.push(`${action.id}: ${(err as Error).message}`));
  }
})();

async function status(): Promise<string> {
  const res = await driver.query<{ running: number }>(
    `SELECT (SELECT count(*) FROM ${schema}.jobs WHERE status = 'running')::int
          + (SELECT count(*) FROM ${schema}.threads WHERE status = 'running')::int AS running`,
  );
  return `STATUS ${res.rows[0]!.running} ${actions.length - done.size} ${JSON.stringify(errors)}`;
}

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  const [command, point, jobId] = line.trim().split(' ');
  if (command === 'watch') arm(point as FaultPoint, jobId);
  else if (command === 'unwatch') disarm(point as FaultPoint);
  else if (command === 'status') void status().then(say, (err) => say(`STATUS -1 -1 ${JSON.stringify([(err as Error).message])}`));
  else if (command === 'exit') void exit();
});

async function exit(): Promise<void> {
  await mf.shutdown().catch(() => {});
  say('BYE');
  process.exit(0);
}
