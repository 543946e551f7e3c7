/**
 * One chaos run: its own PostgreSQL cluster, a fleet of worker processes, the load, the seeded
 * faults; then the faults stop, everything is given a bounded time to finish, the oracle checks, and
 * the cluster is removed (also on failure; the CLI removes it on SIGINT too). `--backend pglite` runs
 * in pglite-run.ts.
 *
 * A negative control (negative-controls.ts) is switched on before the workers start.
 */
import pg from 'pg';
import { schemaForApp } from '../../src/storage/sql-identifier.js';
import { ChaosCluster } from './chaos-cluster.js';
import { APP_ID, type ChaosOptions, profileFor, schedule, SHUTDOWN_GRACE_MS } from './chaos-options.js';
import { BACKGROUND, type FaultContext, inject, type Injection } from './faults.js';
import { LeaseMonitor } from './lease-monitor.js';
import { LEDGER_DDL, persist } from './ledger.js';
import { Load } from './load.js';
import { applyControl } from './negative-controls.js';
import { runOracle } from './oracle.js';
import { runPgliteChaos } from './pglite-run.js';
import { buildRows, type ChaosReport, checksOf } from './report.js';
import { onAbort } from './run-aborts.js';
import { SeededRandom } from './seeded-random.js';
import { WorkerFleet } from './worker-fleet.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  if (options.backend === 'pglite') return runPgliteChaos(options);
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const t0 = Date.now();
  const random = new SeededRandom(options.seed);
  const profile = profileFor(options);
  const plan = schedule(profile, options.minutes, random.fork(), options.faults);
  const schema = `"${schemaForApp(APP_ID)}"`;

  log(`chaos: seed ${options.seed}, ${options.minutes} min, ${plan.length} faults scheduled${options.control ? `, control ${options.control}` : ''}`);
  const cluster = await ChaosCluster.create();
  let fleet: WorkerFleet | undefined;
  const forget = onAbort(() => {
    fleet?.killAllSync();
    cluster.dropSync();
  });
  const db = new pg.Pool({ connectionString: cluster.url(), application_name: 'chaos-oracle', max: 4 });
  db.on('error', () => {});
  let load: Load | undefined;
  let monitor: LeaseMonitor | undefined;
  try {
    log(`chaos: cluster ${cluster.name} on port ${cluster.port}`);
    await db.query(LEDGER_DDL);
    load = await Load.open(APP_ID, cluster.url(), db, schema, random.fork());
    if (options.control) log(`chaos: control ${options.control}: ${(await applyControl(db, options.control, schemaForApp(APP_ID))).join(', ')} switched off`);
    fleet = new WorkerFleet({
      size: profile.workers,
      appId: APP_ID,
      serverPort: cluster.port,
      ledgerUrl: cluster.url(),
      leaseSeconds: profile.leaseSeconds,
      concurrency: profile.concurrency,
      holdMs: profile.holdMs,
      log,
    });
    await fleet.start();
    log(`chaos: ${profile.workers} workers ready (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    monitor = new LeaseMonitor(db, schema, fleet, profile.leaseSeconds);
    monitor.start();

    const ctx: FaultContext = { cluster, fleet, load, db, schema, leaseSeconds: profile.leaseSeconds, random: random.fork(), sizes: profile.sizes, resumeAtLeaseEnd: profile.resumeAtLeaseEnd };
    const windowMs = options.minutes * 60_000;
    const windowStart = Date.now();
    const injections: Injection[] = [];
    const background: Promise<unknown>[] = [];

    // the steady load: ledger workflows at a steady rate through the window
    const steady = (async () => {
      let started = 0;
      while (Date.now() - windowStart < windowMs) {
        const due = windowStart + (started * 1000) / profile.startsPerSecond;
        if (due > Date.now()) await sleep(due - Date.now());
        started++;
        await load!.startLedger().catch((err) => load!.errors.push(`start: ${(err as Error).message}`));
      }
    })();

    // the faults, one at a time in schedule order (load events alongside)
    for (const fault of plan) {
      const wait = windowStart + fault.at - Date.now();
      if (wait > 0) await sleep(wait);
      const run = async () => {
        const injection = await inject(fault.kind, ctx).catch((err) => {
          log(`chaos: ${fault.kind} failed to inject: ${(err as Error).message}`);
          return undefined;
        });
        if (injection) {
          injections.push(injection);
          log(`chaos: +${((injection.at - windowStart) / 1000).toFixed(1)} s ${injection.kind}: ${injection.note}`);
        } else log(`chaos: ${fault.kind} found nothing to hit`);
      };
      if (BACKGROUND.has(fault.kind)) background.push(run());
      else await run();
    }
    await steady;
    await Promise.all(background);
    for (const w of fleet.current) if (w?.paused) fleet.resume(w);

    log(`chaos: faults over; settling (up to ${profile.settleMs / 1000} s, or ${profile.stallMs / 1000} s with no workflow finishing)`);
    const settled = await load.settle(profile.settleMs, profile.stallMs);
    await monitor.stop();
    // before the oracle: no worker changes anything while it reads, and a shutdown that hangs is seen
    await fleet.stop(SHUTDOWN_GRACE_MS);
    log(`chaos: ${settled ? 'settled' : 'did NOT settle'}; workers stopped; checking`);
    const violations = await persist(() =>
      runOracle({
        db,
        schema,
        jobs: load!.jobs,
        loadErrors: load!.errors,
        workers: fleet!.all,
        leaseViolations: monitor!.violations,
        commitTime: 'commit-timestamp',
      }),
    );
    if (!settled && violations.length === 0) violations.push({ check: 'finished', kind: 'lost', detail: 'the run did not settle in time' });
    const rows = await buildRows(injections, violations, db, schema, monitor, load.jobs.size);
    injections.sort((a, b) => a.at - b.at);
    return {
      seed: options.seed,
      minutes: options.minutes,
      control: options.control,
      rows,
      checks: checksOf(violations),
      violations,
      injections,
      windowStart,
      passed: violations.length === 0,
      settled,
      elapsedMs: Date.now() - t0,
    };
  } finally {
    await monitor?.stop();
    await fleet?.stop(SHUTDOWN_GRACE_MS).catch(() => fleet?.killAllSync());
    await load?.close().catch(() => {});
    await db.end().catch(() => {});
    // CHAOS_KEEP_CLUSTER=1 keeps the cluster for a post-mortem (remove it with pg_dropcluster --stop 15 <name>)
    if (process.env.CHAOS_KEEP_CLUSTER === '1') log(`chaos: kept cluster ${cluster.name}: ${cluster.url()}`);
    else cluster.dropSync();
    forget();
  }
}
