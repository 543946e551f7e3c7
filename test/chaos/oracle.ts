/**
 * The oracle: after the run settled, what the database holds is compared with what the load sent and
 * what the ledger saw happen. Every finding is a violation of one check, tied to a job when it has
 * one (so the report can put it against the faults that touched that job).
 *
 * - finished:        every job the load started (and every child and hook thread) ended as its kind
 *                    must: completed, or for poison failed / parked with a code and a message;
 * - activities-once: no execution of an activity began after its result committed (ledger vs the
 *                    journal row's commit timestamp); every committed result names an execution the
 *                    ledger saw;
 * - context-once:    every counter holds exactly the ops applied to it, digit by digit (10^k each);
 * - signals-once:    every signal sent was received exactly once, and no copy is left buffered;
 * - leases:          no task stayed leased by a dead process for longer than one lease;
 * - timers:          no timer fired before its due time;
 * - no-crash:        no worker process died unless a fault killed it;
 * - shutdown:        asked to shut down after the run, every worker exited within 10 s (the engine's
 *                    grace is 5 s);
 * - poison-bounded:  the NUL-error activity (one retry allowed) ran at most two attempts;
 * - load:            the load could send everything it meant to (a failure here is the suite's, or
 *                    an outside call the engine refused).
 */
import type { LeaseViolation } from './lease-monitor.js';
import type { PlannedJob } from './load.js';
import type { Queryable } from './queryable.js';
import { crashedOf, type WorkerProcess } from './worker-fleet.js';

export type CheckName =
  | 'finished'
  | 'activities-once'
  | 'context-once'
  | 'signals-once'
  | 'leases'
  | 'timers'
  | 'no-crash'
  | 'shutdown'
  | 'poison-bounded'
  | 'load';
export type ViolationKind = 'lost' | 'duplicated' | 'other';

export interface Violation {
  check: CheckName;
  kind: ViolationKind;
  jobId?: string;
  detail: string;
}

export const CHECKS: Record<CheckName, string> = {
  finished: 'every started workflow finished (poison: failed or parked with a named reason)',
  'activities-once': '0 activities run again after their result committed',
  'context-once': '0 context ops lost or applied twice',
  'signals-once': '0 signals lost, 0 received twice',
  leases: 'no task leased by a dead process longer than one lease',
  timers: 'no timer fired early',
  'no-crash': 'no worker died unless a fault killed it',
  shutdown: 'every worker shut down within its grace once the run was over',
  'poison-bounded': 'a failing activity ran no more attempts than its policy allows',
  load: 'the load sent everything it meant to',
};

export interface OracleInput {
  db: Queryable;
  schema: string;
  /** What the load started and sent, by job id. */
  jobs: Map<string, PlannedJob>;
  /** What the load could not send. */
  loadErrors: string[];
  /** Every worker process of the run. */
  workers: WorkerProcess[];
  /** From the lease monitor (none on PGlite, where nothing can read while the worker runs). */
  leaseViolations: LeaseViolation[];
  /**
   * When a journal row committed: its commit timestamp on PostgreSQL (track_commit_timestamp). PGlite
   * has none: there its statements run one at a time, so a row's `created_at` is when it committed,
   * except for a row first written as a retry and later overwritten with the result; then only an
   * attempt past the one that committed counts as run again.
   */
  commitTime: 'commit-timestamp' | 'created-at';
}

interface JobRow {
  id: string;
  status: string;
  workflow_name: string;
  parent_id: string | null;
  output: any;
  error: { code?: number; message?: string } | null;
  context: Record<string, any>;
}

/** `value` against `expected` digit by digit (each op adds one 10^k): digits short are lost, over are doubled. */
function compareDigits(value: unknown, expected: number): { lost: number; doubled: number } {
  const actual = typeof value === 'number' ? value : 0;
  let a = actual;
  let e = expected;
  let lost = 0;
  let doubled = 0;
  while (a > 0 || e > 0) {
    const da = a % 10;
    const de = e % 10;
    if (da < de) lost += de - da;
    if (da > de) doubled += da - de;
    a = Math.floor(a / 10);
    e = Math.floor(e / 10);
  }
  return { lost, doubled };
}

const sumOfPowers = (digits: number[]) => digits.reduce((s, k) => s + 10 ** k, 0);

const EXPECTED_STATUS: Record<PlannedJob['kind'], { status: string; code?: number }> = {
  ledger: { status: 'completed' },
  fence: { status: 'completed' },
  timer: { status: 'completed' },
  burst: { status: 'completed' },
  'poison-throw': { status: 'failed' },
  'poison-nul': { status: 'failed' },
  'poison-nondeterministic': { status: 'parked', code: 593 },
};

export async function runOracle(input: OracleInput): Promise<Violation[]> {
  const { db, schema, jobs: planned } = input;
  const committedAt = input.commitTime === 'commit-timestamp' ? 'pg_xact_commit_timestamp(j.xmin)' : 'j.created_at';
  const ranAfterCommit =
    input.commitTime === 'commit-timestamp'
      ? `l.began_at > ${committedAt}`
      : `(l.attempt > j.attempt OR (j.attempt = 1 AND l.began_at > ${committedAt}))`;
  const load = { jobs: planned };
  const out: Violation[] = [];
  const add = (check: CheckName, kind: ViolationKind, detail: string, jobId?: string) => out.push({ check, kind, detail, jobId });

  const jobs = new Map(
    (await db.query(`SELECT id, status, workflow_name, parent_id, output, error, context FROM ${schema}.jobs`)).rows.map((r: JobRow) => [r.id, r]),
  );

  // ---- finished -------------------------------------------------------------------------------
  for (const planned of load.jobs.values()) {
    const job = jobs.get(planned.id);
    const want = EXPECTED_STATUS[planned.kind];
    if (!job) {
      add('finished', 'lost', `${planned.kind} job missing`, planned.id);
      continue;
    }
    const named = job.error && typeof job.error.code === 'number' && typeof job.error.message === 'string' && job.error.message.length > 0;
    if (job.status !== want.status || (want.code !== undefined && job.error?.code !== want.code) || (want.status !== 'completed' && !named)) {
      const why = job.error ? ` (${job.error.code}: ${String(job.error.message).slice(0, 120)})` : '';
      add('finished', 'lost', `${planned.kind} is ${job.status}${why}, expected ${want.status}${want.code ? ` ${want.code}` : ''}`, planned.id);
    }
  }
  for (const job of jobs.values()) {
    if (job.parent_id && !load.jobs.has(job.id) && job.status !== 'completed') {
      add('finished', 'lost', `child ${job.workflow_name} is ${job.status}`, job.parent_id);
    }
  }
  const threads: { rows: Array<{ job_id: string; thread: string; workflow_name: string; status: string }> } = await db.query(
    `SELECT job_id, thread, workflow_name, status FROM ${schema}.threads WHERE thread <> 'main' AND status <> 'completed'`,
  );
  for (const t of threads.rows) add('finished', 'lost', `hook ${t.workflow_name} (${t.thread}) is ${t.status}`, t.job_id);

  // ---- activities-once ------------------------------------------------------------------------
  const rerun: { rows: Array<{ job_id: string; thread: string; seq: number; name: string; pid: number; attempt: number; after_ms: number }> } = await db.query(
    `SELECT l.job_id, l.thread, l.seq, l.name, l.pid, l.attempt,
            (extract(epoch FROM l.began_at - ${committedAt}) * 1000)::float8 AS after_ms
       FROM chaos.ledger l
       JOIN ${schema}.journal j ON j.job_id = l.job_id AND j.thread = l.thread AND j.seq = l.seq
      WHERE j.kind = 'activity' AND j.status IN ('done', 'failed') AND ${ranAfterCommit}`,
  );
  for (const r of rerun.rows) {
    add('activities-once', 'duplicated', `${r.name} (${r.thread}:${r.seq}, attempt ${r.attempt}) began in pid ${r.pid} ${Math.round(r.after_ms)} ms after its result committed`, r.job_id);
  }
  const unrecorded: { rows: Array<{ job_id: string; thread: string; seq: number }> } = await db.query(
    `SELECT j.job_id, j.thread, j.seq FROM ${schema}.journal j
      WHERE j.kind = 'activity' AND j.status = 'done' AND j.result ? 'nonce'
        AND NOT EXISTS (SELECT 1 FROM chaos.ledger l WHERE l.nonce = j.result ->> 'nonce')`,
  );
  for (const r of unrecorded.rows) add('activities-once', 'other', `result of ${r.thread}:${r.seq} names an execution the ledger never saw`, r.job_id);

  // ---- context-once ---------------------------------------------------------------------------
  /** Digit by digit; `partial`: the job did not finish, so missing ops are `finished`'s to report. */
  const counter = (jobId: string, field: string, value: unknown, expected: number, partial = false) => {
    const { lost, doubled } = compareDigits(value, expected);
    if (lost > 0 && !partial) add('context-once', 'lost', `${field} = ${value ?? 'missing'}, expected ${expected}: ${lost} op(s) lost`, jobId);
    if (doubled > 0) add('context-once', 'duplicated', `${field} = ${value}, expected ${expected}: ${doubled} op(s) applied twice`, jobId);
  };
  for (const planned of load.jobs.values()) {
    const job = jobs.get(planned.id);
    if (!job) continue;
    const ctx = job.context ?? {};
    const partial = job.status !== 'completed';
    if (planned.kind === 'burst') counter(job.id, 'n', ctx.n, 1, partial);
    if (planned.kind !== 'ledger' || !planned.spec) continue;
    const spec = planned.spec;
    counter(job.id, 'n', ctx.n, 1111, partial);
    counter(job.id, 'm', ctx.m, sumOfPowers(Array.from({ length: spec.ctxOps }, (_, k) => k)), partial);
    counter(job.id, 'h', ctx.h, spec.hook ? 1 : 0, partial);
    // outside ops and hooks run whatever the workflow's state
    counter(job.id, 'x', ctx.x, sumOfPowers(planned.opDigits));
    counter(job.id, 'o', ctx.o, sumOfPowers(planned.outsideDigits), threads.rows.some((t) => t.job_id === job.id));
    if (!partial && (!Array.isArray(job.output?.steps) || job.output.steps.length !== 3)) {
      add('finished', 'lost', `result names ${job.output?.steps?.length} steps, expected 3`, job.id);
    }
  }
  for (const job of jobs.values()) {
    if (job.parent_id && !load.jobs.has(job.id)) counter(job.parent_id, `child's n`, job.context?.n, 1, job.status !== 'completed');
  }

  // ---- signals-once ---------------------------------------------------------------------------
  const sent: { rows: Array<{ sid: string; job_id: string }> } = await db.query('SELECT sid, job_id FROM chaos.signals_sent');
  const seen = new Map<string, number>();
  for (const job of jobs.values()) for (const sid of Array.isArray(job.context?.seen) ? job.context.seen : []) seen.set(sid, (seen.get(sid) ?? 0) + 1);
  const sentIds = new Set(sent.rows.map((r) => r.sid));
  for (const r of sent.rows) {
    const n = seen.get(r.sid) ?? 0;
    if (n === 0) add('signals-once', 'lost', `signal ${r.sid} sent, never received`, r.job_id);
    if (n > 1) add('signals-once', 'duplicated', `signal ${r.sid} received ${n} times`, r.job_id);
  }
  for (const sid of seen.keys()) if (!sentIds.has(sid)) add('signals-once', 'other', `signal ${sid} received but never recorded as sent`, sid.split('/')[0]);
  const buffered: { rows: Array<{ job_id: string | null; signal_id: string; sid: string | null }> } = await db.query(
    `SELECT job_id, signal_id, data ->> 'sid' AS sid FROM ${schema}.signals`,
  );
  for (const b of buffered.rows) {
    const known = b.sid !== null && seen.has(b.sid);
    add('signals-once', known ? 'duplicated' : 'other', `signal ${b.signal_id}${b.sid ? ` ${b.sid}` : ''} left buffered${known ? ' after it was received' : ''}`, b.job_id ?? undefined);
  }

  // ---- leases, timers, crashes, poison, load ------------------------------------------------------
  for (const v of input.leaseViolations) {
    add('leases', 'other', `task ${v.taskId} leased by dead pid ${v.pid} until ${v.leaseEnd - v.diedAt} ms after its death`, v.jobId);
  }
  for (const planned of load.jobs.values()) {
    const job = jobs.get(planned.id);
    if (planned.kind === 'timer' && job?.status === 'completed' && job.output.at < job.output.dueAt) {
      add('timers', 'other', `fired ${job.output.dueAt - job.output.at} ms early`, job.id);
    }
  }
  for (const w of crashedOf(input.workers)) add('no-crash', 'other', `pid ${w.pid} (slot ${w.slot}) died on its own: ${w.stderr.slice(-25).join('\n    ')}`);
  for (const w of input.workers.filter((x) => x.shutdownHung)) add('shutdown', 'other', `pid ${w.pid} (slot ${w.slot}) did not shut down within the grace`);
  const nul: { rows: Array<{ job_id: string; attempts: number }> } = await db.query(
    `SELECT job_id, max(attempt)::int AS attempts FROM chaos.ledger WHERE name = 'nul' GROUP BY job_id HAVING max(attempt) > 2`,
  );
  for (const r of nul.rows) add('poison-bounded', 'duplicated', `NUL-error activity reached attempt ${r.attempts} (2 allowed)`, r.job_id);
  for (const planned of load.jobs.values()) {
    if (planned.spec && planned.sids.length !== planned.spec.signals) add('load', 'other', `sent ${planned.sids.length} of ${planned.spec.signals} signals`, planned.id);
  }
  for (const e of input.loadErrors) add('load', 'other', e);
  return out;
}
