/**
 * Where a worker process can be caught for a fault: the orchestrator arms a point (`watch <kind>
 * [jobId]` on the worker's stdin), and the next time the worker passes it (for that job, if one is
 * named), the worker prints
 * `IN <kind> <jobId>` and holds there for a moment, so the SIGKILL or SIGSTOP that follows lands in it.
 *
 * - `step`: inside an activity of a workflow's main thread (its ledger row is written);
 * - `hook`: inside an activity of a hook thread;
 * - `ctx`:  right after a context op committed, before the run has seen its reply;
 * - `write`: right before a fence probe's step result is journaled (the SIGSTOP target; see
 *   workload.ts, fenceProbe); once the statement is answered the worker prints
 *   `WROTE <jobId> committed|refused|failed`;
 * - `begin`: right before an activity of a workflow's main thread starts (before its ledger row).
 *   It holds until the orchestrator sends `release begin` (30 s at most), not for a moment: the
 *   fence probe holds the worker that took a probe over there while the paused one's stale write
 *   arrives (faults.ts, sigstop).
 */
import type { Engine } from '../../src/engine/engine.js';
import { appendResult } from '../../src/sql/queries/journal.js';
import { interceptNamed } from '../support/intercept-named.js';

export type FaultPoint = 'step' | 'hook' | 'ctx' | 'write' | 'begin';

/** Points that hold until released rather than for `holdMs`. */
const GATED: ReadonlySet<FaultPoint> = new Set(['begin']);
const GATE_MS = 30_000;

/** Armed points, each for one job or (empty) for any. */
const armed = new Map<FaultPoint, string>();
let holdMs = 0;
let announce: (line: string) => void = () => {};

/** Installed once by the worker process. */
export function bindFaultPoints(options: { holdMs: number; announce: (line: string) => void }): void {
  holdMs = options.holdMs;
  announce = options.announce;
}

export function arm(point: FaultPoint, jobId = ''): void {
  armed.set(point, jobId);
}

export function disarm(point: FaultPoint): void {
  armed.delete(point);
}

/** Gated points being held, each with what lets it go. */
const gates = new Map<FaultPoint, () => void>();

/** Let a gated point go on (no-op when nothing holds there). */
export function release(point: FaultPoint): void {
  gates.get(point)?.();
}

/**
 * Pass a fault point: announce it and hold if it is armed (once), return at once otherwise. Answers
 * whether it held.
 */
export async function reached(point: FaultPoint, jobId: string): Promise<boolean> {
  const only = armed.get(point);
  if (only === undefined || (only !== '' && only !== jobId)) return false;
  armed.delete(point);
  announce(`IN ${point} ${jobId}`);
  await new Promise<void>((resolve) => {
    const go = () => {
      clearTimeout(timer);
      gates.delete(point);
      resolve();
    };
    const timer = setTimeout(go, GATED.has(point) ? GATE_MS : holdMs);
    if (GATED.has(point)) gates.set(point, go);
  });
  return true;
}

/**
 * The points at statements, installed on the worker's engine: `write` before a fence probe's step
 * result is journaled by a statement of its own (journal.appendResult: the job id its 3rd parameter,
 * the seq its 5th), with `WROTE` once it is answered, and `ctx` after a context op from a thread
 * committed, before the run sees the reply. `probeFromSeq`: the first seq of a probe that `write` holds
 * (workload.ts PROBE_PAUSE_SEQ; this module is imported by workload.ts).
 */
export function faultPointsAtStatements(engine: Engine, probeFromSeq: number): void {
  const appendSql = engine.bind(appendResult).text;
  interceptNamed(engine, async (send, name, sql, params, options) => {
    const jobId = String(params[2]);
    const held = sql === appendSql && jobId.startsWith('fence-') && Number(params[4]) >= probeFromSeq && (await reached('write', jobId));
    const res = await send(name, sql, params, options).catch((err: unknown) => {
      if (held) announce(`WROTE ${jobId} failed`);
      throw err;
    });
    // a refused fence answers no row (migration 0012)
    if (held) announce(`WROTE ${jobId} ${res.rows.length > 0 ? 'committed' : 'refused'}`);
    if (sql.includes('.context_op_in_thread(')) await reached('ctx', jobId);
    return res;
  });
}
