/**
 * A chaos run on PGlite. One process at a time owns the data directory (pglite-host.ts): it serves
 * the workload, writes the ledger into the same database and runs the load's plan (pglite-plan.ts).
 * The faults that apply are the kills (mid-step, mid-hook, mid-context-op: a replacement process takes
 * the stale lock over and carries on), 10,000-style timers, a burst and poison; the drop-signal
 * control applies too. When the plan is done and nothing runs, the process is shut down and this one
 * opens the directory itself for the oracle. Nothing can read the database while the host runs, so
 * there is no lease monitor (no `leases` check) and recovery is measured from the ledger.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MemFlow } from '../../src/index.js';
import { schemaForApp } from '../../src/storage/sql-identifier.js';
import { APP_ID, type ChaosOptions, profileFor, schedule, SHUTDOWN_GRACE_MS } from './chaos-options.js';
import { BACKGROUND, type FaultContext, inject, type Injection } from './faults.js';
import { LEDGER_DDL } from './ledger.js';
import { Progress } from './load.js';
import { applyControl } from './negative-controls.js';
import { runOracle } from './oracle.js';
import type { HostConfig } from './pglite-host.js';
import { ACTIONS_DDL, planPglite } from './pglite-plan.js';
import { buildRows, type ChaosReport, checksOf } from './report.js';
import { onAbort } from './run-aborts.js';
import { SeededRandom } from './seeded-random.js';
import { WorkerFleet } from './worker-fleet.js';

const HOST = path.join(path.dirname(fileURLToPath(import.meta.url)), 'pglite-host.ts');
/** The host needs a few seconds to load (tsx, the WASM database, migrations) before the window opens. */
const STARTUP_MS = 10_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runPgliteChaos(options: ChaosOptions): Promise<ChaosReport> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const t0 = Date.now();
  const random = new SeededRandom(options.seed);
  const profile = profileFor(options);
  const windowMs = options.minutes * 60_000;
  const plan = schedule(profile, options.minutes, random.fork(), options.faults);
  const schema = `"${schemaForApp(APP_ID)}"`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hotmesh-chaos-'));
  const dataDir = path.join(dir, 'data');
  let fleet: WorkerFleet | undefined;
  const forget = onAbort(() => {
    fleet?.killAllSync();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  log(`chaos (pglite): seed ${options.seed}, ${options.minutes} min, data in ${dir}`);
  try {
    // the schema, the ledger and (for a control) the switched-off guarantee, before any host runs
    const setup = await MemFlow.init({ appId: APP_ID, engine: { connection: { dataDir } } });
    const setupDriver = (await setup.client.engine(APP_ID)).driver;
    await setupDriver.exec(LEDGER_DDL + ACTIONS_DDL);
    if (options.control) log(`chaos (pglite): control ${options.control}: ${(await applyControl(setupDriver, options.control, schemaForApp(APP_ID))).join(', ')} switched off`);
    await setup.shutdown();

    const windowStart = Date.now() + STARTUP_MS;
    const events = plan.filter((f) => BACKGROUND.has(f.kind));
    const { actions, jobs } = planPglite(profile, windowStart, windowMs, events, random.fork());
    const planFile = path.join(dir, 'plan.json');
    fs.writeFileSync(planFile, JSON.stringify(actions));
    const hostConfig: HostConfig = {
      appId: APP_ID,
      dataDir,
      planFile,
      leaseSeconds: profile.leaseSeconds,
      concurrency: profile.concurrency,
      holdMs: profile.holdMs,
    };
    fleet = new WorkerFleet({ ...profile, size: 1, appId: APP_ID, serverPort: 0, ledgerUrl: '', custom: { script: HOST, config: () => hostConfig } });
    await fleet.start();
    log(`chaos (pglite): host ready (${((Date.now() - t0) / 1000).toFixed(1)} s)`);

    const injections: Injection[] = events.map((e) => ({
      kind: e.kind,
      at: windowStart + e.at,
      endedAt: windowStart + e.at,
      jobs: new Set([...jobs.keys()].filter((id) => id.startsWith(`${kindPrefix(e.kind)}`) && id.includes(`-${windowStart + e.at}-`))),
      note: 'planned load event',
    }));
    const noReader = { query: () => Promise.reject(new Error('PGlite: no reader while the host runs')) };
    const ctx: FaultContext = { fleet, db: noReader, schema, leaseSeconds: profile.leaseSeconds, random: random.fork(), sizes: profile.sizes, resumeAtLeaseEnd: profile.resumeAtLeaseEnd };
    for (const fault of plan.filter((f) => !BACKGROUND.has(f.kind))) {
      const wait = windowStart + fault.at - Date.now();
      if (wait > 0) await sleep(wait);
      const injection = await inject(fault.kind, ctx).catch(() => undefined);
      if (injection) {
        injections.push(injection);
        log(`chaos (pglite): +${((injection.at - windowStart) / 1000).toFixed(1)} s ${injection.kind}: ${injection.note}`);
      } else log(`chaos (pglite): ${fault.kind} found nothing to hit`);
    }
    if (windowStart + windowMs > Date.now()) await sleep(windowStart + windowMs - Date.now());

    // settle: the plan done and nothing running, as the host reports it
    log(`chaos (pglite): faults over; settling (up to ${profile.settleMs / 1000} s, or ${profile.stallMs / 1000} s with no workflow finishing)`);
    const until = Date.now() + profile.settleMs;
    const progress = new Progress(profile.stallMs);
    let settled = false;
    let stalled = false;
    let loadErrors: string[] = [];
    while (!settled && !stalled && Date.now() < until) {
      const host = fleet.live()[0];
      const answer = host && (await fleet.ask(host, 'status', 'STATUS ', 5000));
      if (answer) {
        const [running, pending, ...rest] = answer.split(' ');
        loadErrors = JSON.parse(rest.join(' ')) as string[];
        settled = running === '0' && pending === '0';
        stalled = progress.stalled(Number(running) + Number(pending));
      }
      if (!settled) await sleep(500);
    }
    await fleet.stop(SHUTDOWN_GRACE_MS);
    log(`chaos (pglite): ${settled ? 'settled' : 'did NOT settle'}; host stopped; checking`);

    const reader = await MemFlow.init({ appId: APP_ID, engine: { connection: { dataDir } } });
    try {
      const db = (await reader.client.engine(APP_ID)).driver;
      const violations = await runOracle({ db, schema, jobs, loadErrors, workers: fleet.all, leaseViolations: [], commitTime: 'created-at' });
      if (!settled && violations.length === 0) violations.push({ check: 'finished', kind: 'lost', detail: 'the run did not settle in time' });
      const rows = await buildRows(injections, violations, db, schema, undefined, jobs.size);
      injections.sort((a, b) => a.at - b.at);
      return {
        seed: options.seed,
        minutes: options.minutes,
        control: options.control,
        backend: 'pglite',
        rows,
        checks: checksOf(violations).filter((c) => c.name !== 'leases'),
        violations,
        injections,
        windowStart,
        passed: violations.length === 0,
        settled,
        elapsedMs: Date.now() - t0,
      };
    } finally {
      await reader.shutdown();
    }
  } finally {
    await fleet?.stop(SHUTDOWN_GRACE_MS).catch(() => fleet?.killAllSync());
    if (process.env.CHAOS_KEEP_CLUSTER === '1') log(`chaos (pglite): kept ${dir}`);
    else fs.rmSync(dir, { recursive: true, force: true });
    forget();
  }
}

function kindPrefix(kind: Injection['kind']): string {
  if (kind === 'timers-same-instant') return 'timer-';
  if (kind === 'start-burst') return 'burst-';
  return 'poison-';
}
