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
import { arm, bindFaultPoints, disarm, type FaultPoint, faultPointsAtStatements, release } from './fault-points.js';
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

faultPointsAtStatements(await mf.client.engine(config.appId), PROBE_PAUSE_SEQ);

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
