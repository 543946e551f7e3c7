/**
 * Options of a chaos run, its two profiles, and the seeded fault schedule.
 *
 *   npm run chaos -- [--minutes N] [--seed S] [--backend postgres|pglite] [--control no-fence|drop-signal] [--profile short]
 *                    [--faults kind,kind,...] [--burst N] [--timers N]
 */
import type { FaultKind } from './faults.js';
import type { SeededRandom } from './seeded-random.js';

export type Control = 'no-fence' | 'drop-signal';

/** The app every chaos run uses (its own database, so no other app is near). */
export const APP_ID = 'chaos';
/** A worker asked to shut down must be gone within this (the engine gives in-flight runs 5 s). */
export const SHUTDOWN_GRACE_MS = 10_000;

export interface ChaosOptions {
  /** Length of the fault window (the run settles afterwards). Default 2. */
  minutes: number;
  seed: number;
  backend: 'postgres' | 'pglite';
  /** A negative control: the run must make the oracle fail. */
  control?: Control;
  profile: 'full' | 'short';
  /** Only these faults of the profile's schedule (to chase one fault). Default: all of them. */
  faults?: FaultKind[];
  /** Override the profile's burst size (starts) and timer count. */
  burst?: number;
  timers?: number;
  /** Progress lines (default: stderr). */
  log?: (line: string) => void;
}

export interface Profile {
  workers: number;
  concurrency: number;
  leaseSeconds: number;
  /** Ledger workflows started per second during the fault window. */
  startsPerSecond: number;
  /** Faults per minute of the window (load events: how many times in the run). */
  perMinute: Partial<Record<FaultKind, number>>;
  once: FaultKind[];
  sizes: { timers: number; timersLeadMs: number; burst: number; poisonEach: number; probeChain: number };
  /**
   * The chance that a paused worker is resumed at about its lease's end, racing the claim of the
   * worker taking over, rather than once the take-over is seen (faults.ts, sigstop).
   */
  resumeAtLeaseEnd: number;
  /** How long everything may take to finish once the faults stop. */
  settleMs: number;
  /** Settling gives up sooner when no workflow finished for this long (something hangs). */
  stallMs: number;
  holdMs: number;
}

const KILLS: Partial<Record<FaultKind, number>> = { 'kill-mid-step': 2, 'kill-mid-hook': 1, 'kill-mid-context-op': 1 };

export function profileFor(options: ChaosOptions): Profile {
  const profile = baseProfile(options);
  if (options.burst !== undefined) profile.sizes.burst = options.burst;
  if (options.timers !== undefined) profile.sizes.timers = options.timers;
  return profile;
}

function baseProfile(options: ChaosOptions): Profile {
  const base = {
    workers: 4,
    concurrency: 16,
    leaseSeconds: 2,
    holdMs: 300,
    resumeAtLeaseEnd: 0,
  };
  if (options.backend === 'pglite') {
    // One process owns a PGlite directory: the kills (and a fresh process taking the stale lock over),
    // timers, a burst and poison apply; the restart, the storm, the pause and half-open do not. A
    // process serves every workflow and the whole load, so the load events are smaller.
    const short = options.profile === 'short';
    return {
      ...base,
      workers: 1,
      startsPerSecond: options.control ? 2 : 1,
      perMinute: options.control ? {} : KILLS,
      once: options.control ? [] : ['timers-same-instant', 'start-burst', 'poison'],
      sizes: {
        timers: short ? 100 : 2000,
        timersLeadMs: short ? 15_000 : 60_000,
        burst: short ? 100 : 5000,
        poisonEach: short ? 1 : 3,
        probeChain: 0,
      },
      settleMs: options.control ? 10_000 : short ? 60_000 : 600_000,
      stallMs: 60_000,
    };
  }
  if (options.control === 'no-fence') {
    // The fence probe alone, four times: each paused worker's stale write arrives while the worker
    // that took the probe over replays it.
    return {
      ...base,
      workers: 3, // the paused one, the one that takes over, and one more to take over from that
      startsPerSecond: 1,
      perMinute: { 'sigstop-past-lease': 4 / options.minutes },
      once: [],
      sizes: { timers: 0, timersLeadMs: 0, burst: 0, poisonEach: 0, probeChain: 300 },
      settleMs: 30_000,
      stallMs: 30_000,
    };
  }
  if (options.control === 'drop-signal') {
    return {
      ...base,
      workers: 2,
      startsPerSecond: 2,
      perMinute: {},
      once: [],
      sizes: { timers: 0, timersLeadMs: 0, burst: 0, poisonEach: 0, probeChain: 0 },
      settleMs: 10_000,
      stallMs: 10_000,
    };
  }
  if (options.profile === 'short') {
    return {
      ...base,
      startsPerSecond: 2,
      perMinute: { ...KILLS, 'pg-restart': 1, 'terminate-storm': 1, 'sigstop-past-lease': 1, 'half-open': 1 },
      resumeAtLeaseEnd: 0.5,
      once: ['timers-same-instant', 'start-burst', 'poison'],
      sizes: { timers: 300, timersLeadMs: 15_000, burst: 300, poisonEach: 1, probeChain: 300 },
      settleMs: 45_000,
      stallMs: 30_000,
    };
  }
  return {
    ...base,
    startsPerSecond: 4,
    perMinute: { ...KILLS, 'pg-restart': 0.5, 'terminate-storm': 1, 'sigstop-past-lease': 1, 'half-open': 0.5 },
    resumeAtLeaseEnd: 0.5,
    once: ['timers-same-instant', 'start-burst', 'poison'],
    sizes: { timers: 10_000, timersLeadMs: 60_000, burst: 50_000, poisonEach: 3, probeChain: 300 },
    settleMs: 600_000,
    stallMs: 60_000,
  };
}

export interface ScheduledFault {
  /** ms after the fault window opens */
  at: number;
  kind: FaultKind;
}

/**
 * The seeded schedule: each kind's count (rate × minutes, the fraction decided by a draw), at random
 * times in the window, leaving its first and last 5 s alone; load events in the first half.
 */
export function schedule(profile: Profile, minutes: number, random: SeededRandom, only?: FaultKind[]): ScheduledFault[] {
  const windowMs = minutes * 60_000;
  const out: ScheduledFault[] = [];
  const at = (from: number, to: number) => from + Math.floor(random.next() * Math.max(1, to - from));
  for (const [kind, rate] of Object.entries(profile.perMinute) as Array<[FaultKind, number]>) {
    const expected = rate * minutes;
    const count = Math.floor(expected) + (random.chance(expected - Math.floor(expected)) ? 1 : 0);
    for (let i = 0; i < count; i++) out.push({ at: at(5000, windowMs - 5000), kind });
  }
  for (const kind of profile.once) out.push({ at: at(2000, windowMs / 2), kind });
  return out.filter((f) => !only || only.includes(f.kind)).sort((a, b) => a.at - b.at);
}

export function parseArgs(argv: string[]): ChaosOptions {
  const options: ChaosOptions = { minutes: 2, seed: Math.floor(Math.random() * 2 ** 31), backend: 'postgres', profile: 'full' };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    if (arg === '--minutes') options.minutes = Number(value());
    else if (arg === '--seed') options.seed = Number(value());
    else if (arg === '--backend') options.backend = value() as ChaosOptions['backend'];
    else if (arg === '--control') options.control = value() as Control;
    else if (arg === '--profile') options.profile = value() as ChaosOptions['profile'];
    else if (arg === '--faults') options.faults = value().split(',') as FaultKind[];
    else if (arg === '--burst') options.burst = Number(value());
    else if (arg === '--timers') options.timers = Number(value());
    else throw new Error(`unknown option ${arg}`);
  }
  if (!(options.minutes > 0)) throw new Error('--minutes must be a positive number');
  for (const n of [options.burst, options.timers]) if (n !== undefined && !(Number.isInteger(n) && n >= 0)) throw new Error('--burst and --timers take a count');
  if (!Number.isInteger(options.seed)) throw new Error('--seed must be an integer');
  if (!['postgres', 'pglite'].includes(options.backend)) throw new Error('--backend must be postgres or pglite');
  if (options.control && !['no-fence', 'drop-signal'].includes(options.control)) throw new Error('--control must be no-fence or drop-signal');
  if (options.backend === 'pglite' && options.control === 'no-fence') {
    throw new Error('--control no-fence needs several worker processes on one database: PostgreSQL only');
  }
  if (!['full', 'short'].includes(options.profile)) throw new Error('--profile must be full or short');
  return options;
}
