/**
 * The load of a PGlite run, decided up front: on PGlite the load runs inside the one process that
 * owns the data directory (pglite-host.ts), which the faults kill, so it is a plan of actions with
 * their times, each marked done in the database when done, and redone by the next process if it was
 * not. Every action is idempotent (a start meets its job, a signal or hook first checks whether it
 * arrived, an op has an op id).
 */
import type { Profile } from './chaos-options.js';
import type { FaultKind } from './faults.js';
import { type JobKind, type PlannedJob, planLedger } from './load.js';
import type { SeededRandom } from './seeded-random.js';

export type Action =
  | { id: string; at: number; type: 'start'; kind: JobKind; jobId: string; args: unknown[] }
  | { id: string; at: number; type: 'signal'; jobId: string; kind: JobKind; signalId: string }
  | { id: string; at: number; type: 'op'; jobId: string; k: number }
  | { id: string; at: number; type: 'hook'; jobId: string; digit: number }
  | { id: string; at: number; type: 'many'; kind: JobKind; n: number; prefix: string; args: unknown[] };

export const ACTIONS_DDL = /* sql */ `
CREATE TABLE IF NOT EXISTS chaos.actions_done (id text PRIMARY KEY, done_at timestamptz NOT NULL DEFAULT clock_timestamp());`;

export interface PglitePlan {
  actions: Action[];
  /** What the oracle expects, by job id. */
  jobs: Map<string, PlannedJob>;
}

const blank = (id: string, kind: JobKind, args: unknown[], startedAt: number): PlannedJob => ({
  id,
  kind,
  args,
  startedAt,
  sids: [],
  outsideDigits: [],
  opDigits: [],
});

/** Ledger workflows through the window, and the load events scheduled for it (absolute times). */
export function planPglite(profile: Profile, windowStart: number, windowMs: number, events: Array<{ at: number; kind: FaultKind }>, random: SeededRandom): PglitePlan {
  const actions: Action[] = [];
  const jobs = new Map<string, PlannedJob>();
  const count = Math.floor((windowMs / 1000) * profile.startsPerSecond);
  for (let i = 0; i < count; i++) {
    const at = windowStart + Math.floor((i * 1000) / profile.startsPerSecond);
    const jobId = `ledger-${i + 1}`;
    const plan = planLedger(random);
    const job = { ...blank(jobId, 'ledger', [plan.spec], at), spec: plan.spec };
    jobs.set(jobId, job);
    actions.push({ id: `start:${jobId}`, at, type: 'start', kind: 'ledger', jobId, args: [plan.spec] });
    for (const s of plan.signals) {
      actions.push({ id: `signal:${jobId}:${s.signalId}`, at: at + s.delayMs, type: 'signal', jobId, kind: 'ledger', signalId: s.signalId });
      job.sids.push(`${jobId}/${s.signalId}`);
    }
    for (const o of plan.ops) {
      actions.push({ id: `op:${jobId}:${o.k}`, at: at + o.delayMs, type: 'op', jobId, k: o.k });
      job.opDigits.push(o.k);
    }
    for (const h of plan.hooks) {
      actions.push({ id: `hook:${jobId}:${h.digit}`, at: at + h.delayMs, type: 'hook', jobId, digit: h.digit });
      job.outsideDigits.push(h.digit);
    }
  }
  const many = (at: number, kind: JobKind, n: number, args: unknown[]) => {
    const prefix = `${kind}-${at}`;
    actions.push({ id: `many:${prefix}`, at, type: 'many', kind, n, prefix, args });
    for (let i = 0; i < n; i++) jobs.set(`${prefix}-${i}`, blank(`${prefix}-${i}`, kind, args, at));
  };
  for (const event of events) {
    const at = windowStart + event.at;
    if (event.kind === 'timers-same-instant') many(at, 'timer', profile.sizes.timers, [at + profile.sizes.timersLeadMs]);
    if (event.kind === 'start-burst') many(at, 'burst', profile.sizes.burst, []);
    if (event.kind === 'poison') {
      for (const kind of ['poison-throw', 'poison-nul', 'poison-nondeterministic'] as const) many(at, kind, profile.sizes.poisonEach, []);
    }
  }
  return { actions: actions.sort((a, b) => a.at - b.at), jobs };
}
