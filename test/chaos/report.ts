/**
 * The run's table: per fault, how often it was injected, how many workflows it touched, how many of
 * those lost something or had something done twice, and the longest recovery. Then the oracle's
 * checks, and the verdict.
 *
 * Recovery, per fault:
 * - kills, SIGSTOP: from the kill (pause) until every task the process held was taken over or ended
 *   (the lease monitor; on PGlite, with no monitor, until the replacement process began an activity);
 * - restart, storm: from the fault until the first activity began after it (the ledger);
 * - half-open: until the cut-off worker began an activity 1 s or more after the cut (sooner: ones
 *   already under way on other connections), 'never' if it did not;
 * - timers: the latest timer's lateness past the common due instant;
 * - burst: from the first start until the last burst workflow completed.
 */
import type { FaultKind, Injection } from './faults.js';
import type { LeaseMonitor } from './lease-monitor.js';
import { CHECKS, type CheckName, type Violation } from './oracle.js';
import type { Queryable } from './queryable.js';

export interface FaultRow {
  fault: FaultKind | 'all';
  injected: number;
  workflows: number;
  lost: number;
  duplicated: number;
  /** ms; null: nothing to measure; Infinity: never recovered. */
  maxRecoveryMs: number | null;
}

export interface ChaosReport {
  seed: number;
  minutes: number;
  control?: string;
  backend?: 'postgres' | 'pglite';
  rows: FaultRow[];
  checks: Array<{ name: CheckName; description: string; violations: number }>;
  violations: Violation[];
  injections: Injection[];
  /** When the fault window opened (epoch ms). */
  windowStart: number;
  /** The oracle passed (no violation). */
  passed: boolean;
  settled: boolean;
  elapsedMs: number;
}

async function recoveryOf(injection: Injection, db: Queryable, schema: string, monitor: LeaseMonitor | undefined): Promise<number | null> {
  const first = async (sql: string, params: unknown[]) => {
    const res = await db.query(sql, params);
    const ms = res.rows[0]?.ms;
    return ms === null || ms === undefined ? null : Number(ms);
  };
  switch (injection.kind) {
    case 'kill-mid-step':
    case 'kill-mid-hook':
    case 'kill-mid-context-op':
    case 'sigstop-past-lease':
      if (injection.pid === undefined) return null;
      if (monitor) return monitor.maxRecoveryMs(injection.pid) ?? null;
      return first(
        `SELECT (extract(epoch FROM min(began_at)) * 1000)::float8 - $1 AS ms FROM chaos.ledger WHERE pid <> $2 AND began_at > to_timestamp($1::float8 / 1000)`,
        [injection.at, injection.pid],
      );
    case 'pg-restart':
    case 'terminate-storm': {
      const ms = await first(
        `SELECT (extract(epoch FROM min(began_at)) * 1000)::float8 - $1 AS ms FROM chaos.ledger WHERE began_at > to_timestamp($2::float8 / 1000)`,
        [injection.at, injection.endedAt],
      );
      return ms;
    }
    case 'half-open': {
      const ms = await first(
        `SELECT (extract(epoch FROM min(began_at)) * 1000)::float8 - $1 AS ms FROM chaos.ledger WHERE pid = $2 AND began_at > to_timestamp(($1::float8 + 1000) / 1000)`,
        [injection.at, injection.pid],
      );
      return ms ?? Infinity;
    }
    case 'timers-same-instant': {
      const ms = await first(
        `SELECT max((output ->> 'at')::float8 - (output ->> 'dueAt')::float8) AS ms FROM ${schema}.jobs WHERE id = ANY($1) AND status = 'completed'`,
        [[...injection.jobs]],
      );
      return ms;
    }
    case 'start-burst': {
      const ms = await first(`SELECT (extract(epoch FROM max(completed_at)) * 1000)::float8 - $1 AS ms FROM ${schema}.jobs WHERE id = ANY($2)`, [
        injection.at,
        [...injection.jobs],
      ]);
      return ms;
    }
    case 'poison':
      return null;
  }
}

export async function buildRows(
  injections: Injection[],
  violations: Violation[],
  db: Queryable,
  schema: string,
  monitor: LeaseMonitor | undefined,
  totalJobs: number,
): Promise<FaultRow[]> {
  const kinds = [...new Set(injections.map((i) => i.kind))];
  const rows: FaultRow[] = [];
  const tally = (jobs: Set<string> | undefined) => {
    const of = (kind: Violation['kind']) => violations.filter((v) => v.kind === kind && (!jobs || (v.jobId !== undefined && jobs.has(v.jobId)))).length;
    return { lost: of('lost'), duplicated: of('duplicated') };
  };
  for (const kind of kinds) {
    const mine = injections.filter((i) => i.kind === kind);
    const jobs = new Set(mine.flatMap((i) => [...i.jobs]));
    let max: number | null = null;
    for (const i of mine) {
      const ms = await recoveryOf(i, db, schema, monitor);
      if (ms !== null) max = Math.max(max ?? 0, ms);
    }
    rows.push({ fault: kind, injected: mine.length, workflows: jobs.size, ...tally(jobs), maxRecoveryMs: max });
  }
  rows.push({ fault: 'all', injected: injections.length, workflows: totalJobs, ...tally(undefined), maxRecoveryMs: null });
  return rows;
}

export function checksOf(violations: Violation[]): ChaosReport['checks'] {
  return (Object.keys(CHECKS) as CheckName[]).map((name) => ({ name, description: CHECKS[name], violations: violations.filter((v) => v.check === name).length }));
}

const ms = (v: number | null) => (v === null ? '-' : v === Infinity ? 'never' : `${(v / 1000).toFixed(1)} s`);

/** The report as text: the table, the checks, the first violations of each check, the verdict. */
export function formatReport(report: ChaosReport): string {
  const header = ['fault', 'injected', 'workflows', 'lost', 'duplicated', 'max recovery'];
  const body = report.rows.map((r) => [r.fault, String(r.injected), String(r.workflows), String(r.lost), String(r.duplicated), ms(r.maxRecoveryMs)]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  const out = [
    `chaos run${report.backend === 'pglite' ? ' (pglite)' : ''}: seed ${report.seed}, ${report.minutes} min of faults${report.control ? `, control ${report.control}` : ''}, ${(report.elapsedMs / 1000).toFixed(0)} s in all${report.settled ? '' : ' (did NOT settle in time)'}`,
    '',
    line(header),
    `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`,
    ...body.map(line),
    '',
    'oracle:',
    ...report.checks.map((c) => `  ${c.violations === 0 ? 'ok  ' : 'FAIL'} ${c.description}${c.violations ? ` (${c.violations})` : ''}`),
  ];
  for (const check of report.checks.filter((c) => c.violations > 0)) {
    const mine = report.violations.filter((v) => v.check === check.name);
    out.push('', `${check.name}: first of ${mine.length}:`);
    for (const v of mine.slice(0, 8)) out.push(`  ${v.jobId ?? '-'}: ${v.detail}`);
  }
  out.push('', 'faults injected:');
  for (const i of report.injections) out.push(`  +${((i.at - report.windowStart) / 1000).toFixed(1)} s ${i.kind}: ${i.note}`);
  return out.join('\n');
}
