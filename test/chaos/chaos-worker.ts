/**
 * A chaos worker process (spawned by worker-fleet.ts, never imported):
 *
 *   node --import tsx test/chaos/chaos-worker.ts '<json WorkerConfig>'
 *
 * Serves every workflow of the ledger workload on the chaos app, through its own TCP proxy (so its
 * connections can be made half-open), every session named `chaos-worker-<slot>` (so a termination
 * storm can find them). Its activities write the ledger on a connection of their own, straight to
 * the server.
 *
 * Protocol: stdout `READY`, `IN <point> <jobId>` (fault-points.ts), `ERROR <message>` (init failed);
 * `WROTE <jobId> committed|refused|failed` (after a held `write`); stdin `watch <point> [jobId]`, `unwatch <point>`,
 * `release <point>` (a gated point goes on), `exit` (shut down, print `BYE`, exit 0).
 */
import readline from 'node:readline';
import pg from 'pg';
import { MemFlow } from '../../src/index.js';
import { appendResult } from '../../src/sql/queries/journal.js';
import { arm, bindFaultPoints, disarm, type FaultPoint, reached, release } from './fault-points.js';
import { LedgerWriter } from './ledger.js';
import { bindLedger, PROBE_PAUSE_SEQ, TASK_QUEUE, WORKFLOWS } from './workload.js';

export interface WorkerConfig {
  slot: number;
  appId: string;
  /** The engine's connection: through this worker's proxy. */
  url: string;
  /** The ledger's connection: straight to the server. */
  ledgerUrl: string;
  leaseSeconds: number;
  concurrency: number;
  /** How long a fault point holds once reached. */
  holdMs: number;
}

const config = JSON.parse(process.argv[2]!) as WorkerConfig;
const say = (line: string) => process.stdout.write(`${line}\n`);

const ledger = new LedgerWriter(config.ledgerUrl, `chaos-ledger-${config.slot}`);
bindLedger(ledger);
bindFaultPoints({ holdMs: config.holdMs, announce: say });

let mf: Awaited<ReturnType<typeof MemFlow.init>>;
try {
  mf = await MemFlow.init({
    appId: config.appId,
    engine: { connection: { class: pg.Client, options: { connectionString: config.url, application_name: `chaos-worker-${config.slot}` } } },
    worker: { leaseSeconds: config.leaseSeconds, concurrency: config.concurrency },
  });
  for (const workflow of Object.values(WORKFLOWS)) {
    await mf.worker.create({ taskQueue: TASK_QUEUE, workflow, options: { leaseSeconds: config.leaseSeconds, concurrency: config.concurrency } });
  }
} catch (err) {
  // the server may be restarting: the fleet spawns a replacement
  say(`ERROR ${JSON.stringify((err as Error).message)}`);
  process.exit(1);
}

// Fault points at statements: `write` (below) and `ctx`, after a context op from a thread committed,
// before the run sees the reply.
const engine = await mf.client.engine(config.appId);
const driver = engine.driver;
/** A step's result written by a statement of its own (jobId its 3rd parameter, seq its 5th). */
const APPEND_RESULT = engine.bind(appendResult).text;
const named = driver.named.bind(driver);
driver.named = (async (name: string, sql: string, params: unknown[], options?: Parameters<typeof named>[3]) => {
  // the `write` fault point: before a fence probe's step result is journaled (its lease check passed)
  const held = sql === APPEND_RESULT && String(params[2]).startsWith('fence-') && Number(params[4]) >= PROBE_PAUSE_SEQ && (await reached('write', String(params[2])));
  const res = await named(name, sql, params, options).catch((err: unknown) => {
    if (held) say(`WROTE ${params[2]} failed`);
    throw err;
  });
  // a refused fence answers no row (migration 0012)
  if (held) say(`WROTE ${params[2]} ${res.rows.length > 0 ? 'committed' : 'refused'}`);
  if (sql.includes('.context_op_in_thread(')) await reached('ctx', String(params[2]));
  return res;
}) as typeof driver.named;

say('READY');

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  const [command, point, jobId] = line.trim().split(' ');
  if (command === 'watch') arm(point as FaultPoint, jobId);
  else if (command === 'unwatch') disarm(point as FaultPoint);
  else if (command === 'release') release(point as FaultPoint);
  else if (command === 'exit') void exit();
});

async function exit(): Promise<void> {
  await mf.shutdown().catch(() => {});
  await ledger.end().catch(() => {});
  say('BYE');
  process.exit(0);
}
