/**
 * The retry policy, counted and timed where it runs (README "Retries", src/worker/retry-policy.ts):
 * `maximumAttempts` N means exactly N + 1 executions; the delay before retry n is
 * min(backoffCoefficient^(n-1), maximumInterval) seconds; a MemFlowFatalError (598), MemFlowMaxedError
 * (597) or MemFlowTimeoutError (596) is never retried. Each activity records its executions with a
 * timestamp, so a policy that retries once too often, ignores the coefficient or the cap, or retries
 * a terminal error fails here. Both activity paths are covered: inline (the function is in this
 * process, no taskQueue) and remote (an explicit taskQueue served by registerActivityWorker).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemFlow, type MemFlowInstance, WorkflowFailedError } from '../src/index.js';
import { testConnection, uniqueAppId } from './support/backend.js';

/** Execution timestamps (ms) per key: every workflow passes its own key to the activity. */
const executions = new Map<string, number[]>();
function record(key: string): number {
  const list = executions.get(key) ?? [];
  list.push(Date.now());
  executions.set(key, list);
  return list.length;
}

const TERMINAL = {
  fatal: { type: 'MemFlowFatalError', code: 598 },
  maxed: { type: 'MemFlowMaxedError', code: 597 },
  timeout: { type: 'MemFlowTimeoutError', code: 596 },
} as const;
type TerminalKind = keyof typeof TERMINAL;

const activities = {
  async rpAlwaysFails(key: string): Promise<string> {
    throw new Error(`execution ${record(key)} failed`);
  },
  async rpThrowsTerminal(key: string, kind: TerminalKind): Promise<string> {
    record(key);
    const { MemFlowFatalError, MemFlowMaxedError, MemFlowTimeoutError } = MemFlow.Errors;
    const ErrorClass = { fatal: MemFlowFatalError, maxed: MemFlowMaxedError, timeout: MemFlowTimeoutError }[kind];
    throw new ErrorClass(`${kind} from the activity`);
  },
};

// Delays before retries 1, 2, 3: min(3^0, 4) = 1 s, min(3^1, 4) = 3 s, min(3^2, 4) = 4 s (the cap).
// Far enough apart that a policy ignoring the coefficient (1, 1, 1) or the cap (1, 3, 9) fails.
const MAX_ATTEMPTS = 3;
const EXPECTED_DELAYS_MS = [1000, 3000, 4000];
const policy = { maximumAttempts: MAX_ATTEMPTS, backoffCoefficient: 3, maximumInterval: '4s' };
const REMOTE_QUEUE = 'rp-remote';
/**
 * Executions `EXPECTED_DELAYS_MS` apart: never early (the due time is kept in the database), late
 * only by a claim (a timer set where the retry was scheduled), so the upper bounds are loose.
 */
function expectGaps(stamps: number[]): void {
  stamps.slice(1).forEach((at, i) => {
    const gap = at - stamps[i]!;
    expect(gap, `gap before retry ${i + 1}`).toBeGreaterThanOrEqual(EXPECTED_DELAYS_MS[i]! - 50);
    // under 9 s for the third: a policy ignoring the cap (1, 3, 9) still fails; room for a loaded machine
    expect(gap, `gap before retry ${i + 1}`).toBeLessThan(EXPECTED_DELAYS_MS[i]! + 4000);
  });
}
const inline = MemFlow.workflow.proxyActivities<typeof activities>({ activities, retryPolicy: policy });
const remote = MemFlow.workflow.proxyActivities<typeof activities>({ taskQueue: REMOTE_QUEUE, retryPolicy: policy });
const proxies = { inline, remote };
type Path = keyof typeof proxies;

/** What the workflow saw: the activity's failure, as its class, code and message. */
function seen(err: unknown) {
  const e = err as { type?: string; code?: number; message?: string };
  return { fatal: err instanceof MemFlow.Errors.MemFlowFatalError, type: e.type, code: e.code, message: e.message };
}

export async function rpRetriesRunOut(key: string, path: Path) {
  try {
    return await proxies[path].rpAlwaysFails(key);
  } catch (err) {
    return seen(err);
  }
}

export async function rpTerminal(key: string, path: Path, kind: TerminalKind) {
  try {
    return await proxies[path].rpThrowsTerminal(key, kind);
  } catch (err) {
    return seen(err);
  }
}

/** The workflow function itself failing: retried per the workflow's `config`. */
export async function rpWorkflowFails(key: string, terminal: boolean) {
  const n = record(key);
  if (terminal) throw new MemFlow.Errors.MemFlowFatalError(`workflow run ${n} gave up`);
  throw new Error(`workflow run ${n} failed`);
}

describe('retry policy', () => {
  let mf: MemFlowInstance;
  beforeAll(async () => {
    mf = await MemFlow.init({ appId: uniqueAppId('retrypolicy'), engine: { connection: testConnection() } });
    await mf.worker.registerActivityWorker({}, activities, REMOTE_QUEUE);
    for (const workflow of [rpRetriesRunOut, rpTerminal, rpWorkflowFails]) await mf.worker.create({ taskQueue: 'rp', workflow });
  });
  afterAll(() => mf.shutdown());

  const exhaustedFailure = {
    fatal: true,
    type: 'MemFlowFatalError',
    code: 598,
    message: `execution ${MAX_ATTEMPTS + 1} failed`,
  };

  it('inline activity: maximumAttempts 3 runs it exactly 4 times, 1 s, 3 s, then 4 s (capped) apart', async () => {
    const key = 'inline-runs-out';
    const handle = await mf.workflow.start({ taskQueue: 'rp', workflowName: 'rpRetriesRunOut', args: [key, 'inline'] });
    expect(await handle.result()).toEqual(exhaustedFailure);
    const stamps = executions.get(key)!;
    expect(stamps).toHaveLength(MAX_ATTEMPTS + 1);
    expectGaps(stamps);
  }, 40_000);

  it('remote activity: maximumAttempts 3 runs it exactly 4 times, each retry scheduled 1 s, 3 s, then 4 s (capped) later', async () => {
    const key = 'remote-runs-out';
    const handle = await mf.workflow.start({ taskQueue: 'rp', workflowName: 'rpRetriesRunOut', args: [key, 'remote'] });
    const db = await mf.client.engine(mf.appId);
    // A remote retry is picked up by polling (up to 2 s late), so its execution gaps alone cannot tell
    // 1 s from 3 s. The task row tells exactly when each retry was scheduled to run: watch it.
    const scheduled = new Map<number, number>(); // attempts made -> run_at (ms)
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const res = await db.driver.query<{ attempt: number | null; run_at: number }>(
          `SELECT (payload->>'attempt')::int AS attempt, (extract(epoch FROM run_at) * 1000)::float8 AS run_at
             FROM ${db.sqlSchema}.tasks WHERE job_id = $1 AND kind = 'activity' AND lease_owner IS NULL`,
          [handle.workflowId],
        );
        for (const row of res.rows) if (row.attempt !== null && !scheduled.has(row.attempt)) scheduled.set(row.attempt, Number(row.run_at));
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const result = await handle.result().finally(() => (watching = false));
    await watcher;
    expect(result).toEqual(exhaustedFailure);
    const stamps = executions.get(key)!;
    expect(stamps).toHaveLength(MAX_ATTEMPTS + 1);
    expect([...scheduled.keys()].sort()).toEqual([1, 2, 3]);
    EXPECTED_DELAYS_MS.forEach((delay, i) => {
      const scheduledDelay = scheduled.get(i + 1)! - stamps[i]!; // from the failed execution to its retry's run_at
      expect(scheduledDelay, `delay scheduled before retry ${i + 1}`).toBeGreaterThanOrEqual(delay - 50);
      expect(scheduledDelay, `delay scheduled before retry ${i + 1}`).toBeLessThan(delay + 3000); // 9 s, ignoring the cap, fails
      const gap = stamps[i + 1]! - stamps[i]!;
      expect(gap, `gap before retry ${i + 1}`).toBeGreaterThanOrEqual(delay - 50);
      expect(gap, `gap before retry ${i + 1}`).toBeLessThan(delay + 5000);
    });
  }, 60_000);

  for (const path of ['inline', 'remote'] as const) {
    it(`${path} activity: MemFlowFatalError, MemFlowMaxedError and MemFlowTimeoutError run once, never retried`, async () => {
      const kinds = Object.keys(TERMINAL) as TerminalKind[];
      const handles = await Promise.all(
        kinds.map((kind) => mf.workflow.start({ taskQueue: 'rp', workflowName: 'rpTerminal', args: [`${path}-${kind}`, path, kind] })),
      );
      const results = await Promise.all(handles.map((h) => h.result()));
      kinds.forEach((kind, i) => {
        expect(results[i], kind).toEqual({
          fatal: kind === 'fatal',
          ...TERMINAL[kind],
          message: `${kind} from the activity`,
        });
        // the workflow got the failure, so no retry is pending: one execution is all there will be
        expect(executions.get(`${path}-${kind}`), kind).toHaveLength(1);
      });
    }, 30_000);
  }

  it('workflow function: config.maximumAttempts 2 runs it exactly 3 times, 1 s then 3 s apart, and fails with 597', async () => {
    const key = 'workflow-runs-out';
    const handle = await mf.workflow.start({
      taskQueue: 'rp', workflowName: 'rpWorkflowFails', args: [key, false], config: { maximumAttempts: 2, backoffCoefficient: 3, maximumInterval: '4s' },
    });
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect(err).toMatchObject({ code: 597, message: 'workflow run 3 failed' });
    const stamps = executions.get(key)!;
    expect(stamps).toHaveLength(3);
    expectGaps(stamps);
  }, 30_000);

  it('workflow function: a MemFlowFatalError ends the job at once with 598, one run', async () => {
    const key = 'workflow-fatal';
    const handle = await mf.workflow.start({ taskQueue: 'rp', workflowName: 'rpWorkflowFails', args: [key, true], config: { maximumAttempts: 2 } });
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect(err).toMatchObject({ code: 598, message: 'workflow run 1 gave up' });
    expect(executions.get(key)).toHaveLength(1);
  });
});
