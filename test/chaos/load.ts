/**
 * The load: starts the workload's workflows and sends what they wait for, from the orchestrator's
 * process, straight to the server (application_name `chaos-load`, never a fault's target). Every call
 * is retried through restarts, and a retry first checks whether the lost attempt took effect
 * (outside signals and hooks have no idempotency key of their own, issue 7), so the load itself never
 * sends anything twice. What it sent is what the oracle expects.
 */
import pg from 'pg';
import { DuplicateJobError, MemFlow, type MemFlowInstance } from '../../src/index.js';
import type { Queryable } from './queryable.js';
import { persist } from './ledger.js';
import type { SeededRandom } from './seeded-random.js';
import { type LedgerSpec, TASK_QUEUE, type WorkflowName } from './workload.js';

export type JobKind = 'ledger' | 'fence' | 'timer' | 'burst' | 'poison-throw' | 'poison-nul' | 'poison-nondeterministic';

export const WORKFLOW_OF: Record<JobKind, WorkflowName> = {
  ledger: 'ledgerFlow',
  fence: 'fenceProbe',
  timer: 'timerFlow',
  burst: 'burstFlow',
  'poison-throw': 'poisonThrow',
  'poison-nul': 'poisonNul',
  'poison-nondeterministic': 'poisonNondeterministic',
};

/** What the load started, and what it sent the job: the oracle's expectations. */
export interface PlannedJob {
  id: string;
  kind: JobKind;
  args: unknown[];
  startedAt: number;
  spec?: LedgerSpec;
  /** Signal ids sent (and recorded in chaos.signals_sent). */
  sids: string[];
  /** Outside hooks started: the digit each adds to `o`. */
  outsideDigits: number[];
  /** Outside op-id increments applied: the digit each adds to `x`. */
  opDigits: number[];
}

/** A ledger workflow's shape, and what the load sends it (delays from its start). */
export interface LedgerPlan {
  spec: LedgerSpec;
  signals: Array<{ signalId: string; delayMs: number }>;
  /** Outside op-id increments of `x` by 10^k. */
  ops: Array<{ k: number; delayMs: number }>;
  /** Outside hooks adding 10^digit to `o`. */
  hooks: Array<{ digit: number; delayMs: number }>;
}

export function planLedger(r: SeededRandom): LedgerPlan {
  const spec: LedgerSpec = {
    signals: r.int(0, 2),
    sleepMs: r.chance(0.5) ? r.int(100, 2000) : 0,
    ctxOps: r.int(0, 8),
    hook: r.chance(0.4),
    child: r.chance(0.3),
  };
  const signals = Array.from({ length: spec.signals }, (_, i) => ({ signalId: `go-${i}`, delayMs: r.int(0, 4000) }));
  const ops = Array.from({ length: r.int(0, 2) }, (_, k) => ({ k, delayMs: r.int(0, 5000) }));
  const hooks = r.chance(0.3) ? [{ digit: 0, delayMs: r.int(0, 6000) }] : [];
  return { spec, signals, ops, hooks };
}

/** Workflow-level retries for poison: one re-run, one second apart. */
const POISON_CONFIG = { maximumAttempts: 1, backoffCoefficient: 1, maximumInterval: '1s' };

export class Load {
  readonly jobs = new Map<string, PlannedJob>();
  private readonly pending = new Set<Promise<unknown>>();
  private counter = 0;
  /** Errors the load could not get past (the oracle reports them). */
  readonly errors: string[] = [];

  /** `mf` is closed by close() only if the load opened it. */
  constructor(
    private readonly mf: MemFlowInstance,
    private readonly db: Queryable,
    private readonly schema: string,
    private readonly random: SeededRandom,
    private readonly ownsMf = false,
  ) {}

  /** A load on its own sessions of the server at `url` (application_name `chaos-load`). */
  static async open(appId: string, url: string, db: Queryable, schema: string, random: SeededRandom): Promise<Load> {
    const mf = await MemFlow.init({ appId, engine: { connection: { class: pg.Client, options: { connectionString: url, application_name: 'chaos-load' } } } });
    return new Load(mf, db, schema, random, true);
  }

  /** A fresh job id for `kind`: `<kind>-<n>`. */
  nextId(kind: JobKind): string {
    return `${kind}-${++this.counter}`;
  }

  /** Start a job (a retry that meets the job its lost reply made counts as started). Ids: `<kind>-<n>` unless given. */
  async start(kind: JobKind, args: unknown[], extra: Partial<PlannedJob> = {}): Promise<PlannedJob> {
    const id = extra.id ?? this.nextId(kind);
    const job: PlannedJob = { id, kind, args, startedAt: Date.now(), sids: [], outsideDigits: [], opDigits: [], ...extra };
    const config = kind.startsWith('poison') ? POISON_CONFIG : undefined;
    await persist(async () => {
      try {
        await this.mf.workflow.start({ workflowName: WORKFLOW_OF[kind], taskQueue: TASK_QUEUE, workflowId: id, args, config });
      } catch (err) {
        if (!(err instanceof DuplicateJobError)) throw err;
      }
    });
    this.jobs.set(id, job);
    return job;
  }

  /** Run `task` in the background; settle() waits for it. */
  private background(task: () => Promise<unknown>, what: string): void {
    const p = task()
      .catch((err) => this.errors.push(`${what}: ${(err as Error).message}`))
      .finally(() => this.pending.delete(p));
    this.pending.add(p);
  }

  private later(ms: number, task: () => Promise<unknown>, what: string): void {
    this.background(() => new Promise((resolve) => setTimeout(resolve, ms)).then(task), what);
  }

  /** A ledger workflow of random shape, with its signals, outside ops and outside hooks scheduled. */
  async startLedger(): Promise<PlannedJob> {
    const plan = planLedger(this.random);
    const job = await this.start('ledger', [plan.spec], { spec: plan.spec });
    for (const { signalId, delayMs } of plan.signals) this.later(delayMs, () => this.signal(job, signalId), `signal ${job.id}`);
    for (const { k, delayMs } of plan.ops) this.later(delayMs, () => this.outsideOp(job, k), `op ${job.id}`);
    for (const { digit, delayMs } of plan.hooks) this.later(delayMs, () => this.outsideHook(job, digit), `hook ${job.id}`);
    return job;
  }

  /** Send one signal with a unique id; on a retry, only if the lost attempt did not deliver or buffer it. */
  async signal(job: PlannedJob, signalId: string): Promise<void> {
    const sid = `${job.id}/${signalId}`;
    const handle = await this.mf.workflow.getHandle(TASK_QUEUE, WORKFLOW_OF[job.kind], job.id);
    let tries = 0;
    await persist(async () => {
      if (tries++ > 0 && (await this.signalArrived(sid))) return;
      await handle.signal(signalId, { sid });
    });
    await persist(() => this.db.query('INSERT INTO chaos.signals_sent (sid, job_id, signal_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [sid, job.id, signalId]));
    job.sids.push(sid);
  }

  private async signalArrived(sid: string): Promise<boolean> {
    const res = await this.db.query(
      `SELECT 1 FROM ${this.schema}.signals WHERE data ->> 'sid' = $1
       UNION ALL SELECT 1 FROM ${this.schema}.journal WHERE kind = 'wait' AND result ->> 'sid' = $1 LIMIT 1`,
      [sid],
    );
    return res.rows.length > 0;
  }

  /** An outside increment of `x` by 10^k, with an op id (retried safely by the engine's own rule). */
  async outsideOp(job: PlannedJob, k: number): Promise<void> {
    const ctx = await this.mf.workflow.context(job.id);
    await persist(() => ctx.withOpId(`x-${k}`).increment('x', 10 ** k));
    job.opDigits.push(k);
  }

  /** An outside hook adding 10^digit to `o`; on a retry, only if the lost attempt did not start it. */
  async outsideHook(job: PlannedJob, digit: number): Promise<void> {
    const hookId = `${job.id}/o${digit}`;
    let tries = 0;
    await persist(async () => {
      if (tries++ > 0) {
        const res = await this.db.query(`SELECT 1 FROM ${this.schema}.threads WHERE job_id = $1 AND args ->> 0 = $2`, [job.id, hookId]);
        if (res.rows.length > 0) return;
      }
      await this.mf.workflow.hook({ workflowId: job.id, taskQueue: TASK_QUEUE, workflowName: 'outsideHook', args: [hookId, digit] });
    });
    job.outsideDigits.push(digit);
  }

  /** `n` starts of `kind` at once, `parallel` in flight; answers the jobs. Ids `<prefix>-<i>` if a prefix is given. */
  async many(kind: JobKind, n: number, args: (i: number) => unknown[], parallel = 32, prefix?: string): Promise<PlannedJob[]> {
    const out: PlannedJob[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(parallel, n) }, async () => {
        while (next < n) {
          const i = next++;
          out.push(await this.start(kind, args(i), prefix === undefined ? {} : { id: `${prefix}-${i}` }));
        }
      }),
    );
    return out;
  }

  /**
   * Wait for every background send, then until no job or thread is running: at most `timeoutMs`, and
   * no longer than `stallMs` without one more of them finishing. Answers whether everything finished.
   */
  async settle(timeoutMs: number, stallMs: number): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    while (this.pending.size > 0 && Date.now() < until) await Promise.race([...this.pending, new Promise((r) => setTimeout(r, 500))]);
    const progress = new Progress(stallMs);
    for (;;) {
      const res = await persist(() =>
        this.db.query(
          `SELECT (SELECT count(*) FROM ${this.schema}.jobs WHERE status = 'running')::int
                + (SELECT count(*) FROM ${this.schema}.threads WHERE status = 'running')::int AS running`,
        ),
      );
      const running: number = res.rows[0]!.running;
      if (running === 0 && this.pending.size === 0) return true;
      if (Date.now() > until || progress.stalled(running)) return false;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }

  async close(): Promise<void> {
    if (this.ownsMf) await this.mf.shutdown();
  }
}

/** Whether a count that should fall to 0 has stopped falling for `stallMs`. */
export class Progress {
  private best = Infinity;
  private since = Date.now();

  constructor(private readonly stallMs: number) {}

  stalled(remaining: number): boolean {
    if (remaining < this.best) {
      this.best = remaining;
      this.since = Date.now();
    }
    return Date.now() - this.since > this.stallMs;
  }
}
