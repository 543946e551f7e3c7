/**
 * The faults, each an injector that does its harm and says what it touched: the jobs whose tasks
 * were leased by its victim (or were running) at that moment, so the oracle can attribute what went
 * wrong. Recovery times are measured afterwards (report.ts) from the ledger and the lease monitor.
 */
import type { ChaosCluster } from './chaos-cluster.js';
import type { FaultPoint } from './fault-points.js';
import type { Load } from './load.js';
import type { Queryable } from './queryable.js';
import type { SeededRandom } from './seeded-random.js';
import type { WorkerFleet, WorkerProcess } from './worker-fleet.js';

export type FaultKind =
  | 'kill-mid-step'
  | 'kill-mid-hook'
  | 'kill-mid-context-op'
  | 'pg-restart'
  | 'terminate-storm'
  | 'sigstop-past-lease'
  | 'half-open'
  | 'timers-same-instant'
  | 'start-burst'
  | 'poison';

export interface Injection {
  kind: FaultKind;
  at: number;
  endedAt: number;
  /** Jobs it touched. */
  jobs: Set<string>;
  /** Its victim process, if any (killed, paused or cut off). */
  pid?: number;
  /** What it did, in a few words. */
  note: string;
}

export interface FaultContext {
  /** None on PGlite (only the kills and the load events apply there). */
  cluster?: ChaosCluster;
  fleet: WorkerFleet;
  load?: Load;
  /** Reads the app's tables while the run goes on (on PGlite nothing can: it rejects, and the fault notes less). */
  db: Queryable;
  schema: string;
  leaseSeconds: number;
  random: SeededRandom;
  /** The chance that a SIGSTOP is resumed at about the end of the lease rather than after the take-over. */
  resumeAtLeaseEnd: number;
  /** Sizes of the load events (timers, burst, poison) and of the fence probe. */
  sizes: { timers: number; timersLeadMs: number; burst: number; poisonEach: number; probeChain: number };
}

type Injector = (ctx: FaultContext) => Promise<Omit<Injection, 'kind' | 'at' | 'endedAt'> | undefined>;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Jobs with a task leased by `pid` right now. */
async function leasedJobs(ctx: FaultContext, pid: number): Promise<Set<string>> {
  const res = await ctx.db
    .query(`SELECT DISTINCT job_id FROM ${ctx.schema}.tasks WHERE lease_owner LIKE $1 || '-%'`, [String(pid)])
    .catch(() => ({ rows: [] as Array<{ job_id: string }> }));
  return new Set(res.rows.map((r: { job_id: string }) => r.job_id));
}

/** SIGKILL the first worker to reach `point` (it holds there, so the kill lands in it). */
function killAt(point: FaultPoint): Injector {
  return async (ctx) => {
    const hit = await ctx.fleet.caught(point, 10_000);
    if (!hit) return undefined;
    const jobs = await leasedJobs(ctx, hit.worker.pid);
    jobs.add(hit.jobId);
    await ctx.fleet.kill(hit.worker);
    return { jobs, pid: hit.worker.pid, note: `SIGKILL pid ${hit.worker.pid} in ${point} of ${hit.jobId}` };
  };
}

/** Jobs not finished yet (running, sleeping or waiting): what a fault on the whole server touches. */
async function runningJobs(ctx: FaultContext): Promise<Set<string>> {
  const res = await ctx.db
    .query(`SELECT id FROM ${ctx.schema}.jobs WHERE status = 'running'`)
    .catch(() => ({ rows: [] as Array<{ id: string }> }));
  return new Set(res.rows.map((r: { id: string }) => r.id));
}

const pgRestart: Injector = async (ctx) => {
  const jobs = await runningJobs(ctx);
  await ctx.cluster!.restartImmediate();
  return { jobs, note: 'restart -m immediate' };
};

/** For 3 s, every 100-300 ms: terminate every session of every worker. */
const terminateStorm: Injector = async (ctx) => {
  const jobs = await runningJobs(ctx);
  let terminated = 0;
  const until = Date.now() + 3000;
  while (Date.now() < until) {
    const res = await ctx.db
      .query(
        `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
          WHERE application_name LIKE 'chaos-worker-%' AND pid <> pg_backend_pid()`,
      )
      .catch(() => ({ rows: [{ n: 0 }] }));
    terminated += res.rows[0]!.n;
    await sleep(ctx.random.int(100, 300));
  }
  return { jobs, note: `${terminated} sessions terminated` };
};

/**
 * Start a fence probe and pause with SIGSTOP the worker that is about to journal one of its steps
 * (its lease check passed). Then, by default, wait until another worker, having claimed the probe
 * once the lease ran out and replayed it, is about to run that step again (the `begin` point holds
 * it there); resume the paused worker and let the new holder go on only once the stale write was
 * answered. The stale write thus always arrives after the new holder read the journal and before it
 * runs the step: a working fence refuses it; without one it commits, and the step runs again after
 * its result committed (the no-fence control counts on that, so it cannot pass by luck).
 *
 * With the profile's `resumeAtLeaseEnd` chance, resume it instead at about the end of its lease,
 * whether or not the probe was taken over: its stale write then races the other worker's claim
 * (issue 7, fault 5: the fence did not lock, so a write under the old claims value could land while
 * a claim had locked the task and read the journal).
 */
const sigstop: Injector = async (ctx) => {
  const id = ctx.load!.nextId('fence');
  // armed for this probe before it starts
  const catching = ctx.fleet.caught('write', 30_000, id);
  await sleep(200);
  const probe = await ctx.load!.start('fence', [ctx.sizes.probeChain], { id });
  const hit = await catching;
  if (!hit) return undefined;
  const worker = hit.worker;
  ctx.fleet.pause(worker);
  const pausedAt = Date.now();
  const jobs = await leasedJobs(ctx, worker.pid);
  jobs.add(probe.id);
  if (!ctx.random.chance(ctx.resumeAtLeaseEnd)) return { jobs, ...(await handOver(ctx, worker, hit.jobId)) };

  const until = pausedAt + ctx.leaseSeconds * 1000 + ctx.random.int(0, 500);
  let takenOver = false;
  while (Date.now() < until) {
    await sleep(Math.min(20, Math.max(0, until - Date.now())));
    const res = await ctx.db
      .query(`SELECT lease_owner AS owner FROM ${ctx.schema}.tasks WHERE job_id = $1 AND thread = 'main' AND seq = 0`, [hit.jobId])
      .catch(() => ({ rows: [{ owner: `${worker.pid}-` }] }));
    const owner = res.rows[0]?.owner;
    takenOver = !res.rows[0] || (owner !== null && owner !== undefined && !owner.startsWith(`${worker.pid}-`));
  }
  resumeIfAlive(ctx.fleet, worker);
  return { jobs, pid: worker.pid, note: `SIGSTOP pid ${worker.pid} before a write of ${hit.jobId}, SIGCONT at its lease end (${takenOver ? 'taken over' : 'not yet taken over'})` };
};

/**
 * The paused `worker`'s stale write, delivered while the worker that took `jobId` over holds right
 * before running the step again (see sigstop).
 */
async function handOver(ctx: FaultContext, worker: WorkerProcess, jobId: string): Promise<{ pid: number; note: string }> {
  const stopped = `SIGSTOP pid ${worker.pid} before a write of ${jobId}`;
  const rerun = await ctx.fleet.caught('begin', ctx.leaseSeconds * 1000 + 30_000, jobId);
  if (!rerun) {
    resumeIfAlive(ctx.fleet, worker);
    return { pid: worker.pid, note: `${stopped}, NOT taken over` };
  }
  const answered = ctx.fleet.next(worker, `WROTE ${jobId} `, 15_000);
  resumeIfAlive(ctx.fleet, worker);
  const outcome = (await answered) ?? 'not answered in 15 s';
  ctx.fleet.release(rerun.worker, 'begin');
  return { pid: worker.pid, note: `${stopped}, SIGCONT once pid ${rerun.worker.pid} took it over and was about to run the step again: stale write ${outcome}` };
}

function resumeIfAlive(fleet: WorkerFleet, worker: WorkerProcess): void {
  if (worker.diedAt === undefined) fleet.resume(worker);
}

/**
 * Make every connection of one worker half-open (its proxy drops all bytes, sends no RST), caught
 * in the middle of a step, so it holds a task whose next statements meet the dead connections.
 */
const halfOpen: Injector = async (ctx) => {
  const hit = await ctx.fleet.caught('step', 10_000);
  if (!hit) return undefined;
  const jobs = await leasedJobs(ctx, hit.worker.pid);
  jobs.add(hit.jobId);
  const n = ctx.fleet.proxies[hit.worker.slot]!.blackhole();
  return { jobs, pid: hit.worker.pid, note: `${n} connections of pid ${hit.worker.pid} half-open in a step of ${hit.jobId}` };
};

const timers: Injector = async (ctx) => {
  const dueAt = Date.now() + ctx.sizes.timersLeadMs;
  const started = await ctx.load!.many('timer', ctx.sizes.timers, () => [dueAt]);
  return { jobs: new Set(started.map((j) => j.id)), note: `${started.length} timers due at +${ctx.sizes.timersLeadMs} ms` };
};

const burst: Injector = async (ctx) => {
  const t0 = Date.now();
  const started = await ctx.load!.many('burst', ctx.sizes.burst, () => [], 64);
  return { jobs: new Set(started.map((j) => j.id)), note: `${started.length} starts in ${Date.now() - t0} ms` };
};

const poison: Injector = async (ctx) => {
  const jobs = new Set<string>();
  for (const kind of ['poison-throw', 'poison-nul', 'poison-nondeterministic'] as const) {
    for (const job of await ctx.load!.many(kind, ctx.sizes.poisonEach, () => [])) jobs.add(job.id);
  }
  return { jobs, note: `${jobs.size} poison workflows` };
};

export const INJECTORS: Record<FaultKind, Injector> = {
  'kill-mid-step': killAt('step'),
  'kill-mid-hook': killAt('hook'),
  'kill-mid-context-op': killAt('ctx'),
  'pg-restart': pgRestart,
  'terminate-storm': terminateStorm,
  'sigstop-past-lease': sigstop,
  'half-open': halfOpen,
  'timers-same-instant': timers,
  'start-burst': burst,
  poison,
};

/** Load events run alongside the fault sequence rather than in it (they take a while to start). */
export const BACKGROUND: ReadonlySet<FaultKind> = new Set(['timers-same-instant', 'start-burst', 'poison']);

/** Inject one fault; undefined when it found nothing to hit (no worker reached the point in time). */
export async function inject(kind: FaultKind, ctx: FaultContext): Promise<Injection | undefined> {
  const at = Date.now();
  const done = await INJECTORS[kind](ctx);
  return done && { kind, at, endedAt: Date.now(), ...done };
}
