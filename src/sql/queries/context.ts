/**
 * Named queries on a job's context. Each op is one statement: apply (in SQL, see migration 0002),
 * bump the version, log it, and, inside a thread, journal its result, all in one commit.
 * Ops that answer with the whole document: set, merge, delete. The others answer with the value at
 * their path. A journaled result over 256 bytes is a reference (context version, path) that replay
 * resolves with contextThreadReplay (migration 0028).
 */
import type { LoggedOp } from '../../context/context-replay.js';
import { type CallPositionParams, defineQuery, SWEEP_LOCK } from '../define-query.js';

export interface ContextValueRow {
  value: unknown;
  undef: boolean;
  version: string;
}

interface OpParams {
  op: string;
  path: string[];
  arg: string | null;
  capBytes: number;
}

/**
 * An op from inside a workflow or hook: fenced by the task lease, applied, versioned, logged and
 * journaled at (seq, batch) in one call (migration 0006). No row back: the lease was lost.
 */
export const contextOpInThread = defineQuery<CallPositionParams & OpParams, ContextValueRow>(/* sql */ `
SELECT value, undef, version
  FROM {{schema}}.context_op_in_thread($taskId, $claims, $jobId, $thread, $seq, $batch, $op, $path::text[], $arg::jsonb, $capBytes)`);

/** A read from inside a thread: journaled like any other call, so replay sees what the first run saw (migration 0028). */
export const contextGetInThread = defineQuery<CallPositionParams & { path: string[] }, { value: unknown; undef: boolean }>(/* sql */ `
SELECT value, undef FROM {{schema}}.context_get_in_thread($taskId, $claims, $jobId, $thread, $seq, $batch, $path::text[])`);

/**
 * How to rebuild what a thread's journaled context references (migration 0028) at `seqs` stand for:
 * a starting document ('base'), the logged ops after it ('op'), and each reference ('ref') where the
 * rows before it have built its version (src/context/context-replay.ts applies them).
 */
export const contextThreadReplay = defineQuery<
  { jobId: string; thread: string; seqs: number[] },
  { kind: 'base' | 'op' | 'ref'; seq: number | null; version: string; op: LoggedOp | null; path: string[] | null; arg: unknown }
>(/* sql */ `
SELECT kind, seq, version::text AS version, op, path, arg
  FROM {{schema}}.context_thread_replay($jobId, $thread, $seqs::int[]) ORDER BY n`);

/**
 * An op from outside (a client holding the job id), in one call (migration 0006). `opId` makes a
 * retried call apply once: an op id already in the log is not applied again (no row back; the caller
 * reads the first result). Two concurrent calls with one new op id both get past that check; the
 * unique index on the log then fails the second, whose caller also reads the first result.
 */
export const contextOpOutside = defineQuery<OpParams & { jobId: string; opId: string | null; actor: string }, ContextValueRow>(/* sql */ `
SELECT value, undef, version FROM {{schema}}.context_op($jobId, $op, $path::text[], $arg::jsonb, $capBytes, $opId, $actor)`);

/** One op of contextOpsOutside: contextOpOutside's parameters but the job's. */
export interface OutsideOp {
  op: string;
  path: string[];
  /** JSON text, or null. */
  arg: string | null;
  opId: string | null;
  actor: string;
}

/**
 * Several ops from outside on one job, in one statement (engine/context-lanes.ts): applied one after
 * another in the array's order, as contextOpOutside applies one, and answered in that order (`i`, from
 * 1; a row of nulls: no row, the op id was applied already, or no such job). The LATERAL call runs
 * once per element, in the order the elements are read.
 */
export const contextOpsOutside = defineQuery<{ jobId: string; ops: string; capBytes: number }, ContextValueRow & { i: number }>(/* sql */ `
SELECT o.i::int AS i, r.value, r.undef, r.version
  FROM jsonb_array_elements($ops::jsonb) WITH ORDINALITY AS o(item, i)
  LEFT JOIN LATERAL {{schema}}.context_op($jobId, o.item ->> 'op', ARRAY(SELECT jsonb_array_elements_text(o.item -> 'path')),
                                          (o.item ->> 'arg')::jsonb, $capBytes, o.item ->> 'opId', o.item ->> 'actor') AS r ON true
 ORDER BY o.i`);

/**
 * What an op with this op id returned the first time, and whether it was this op (`same`: the same op
 * at the same path; the argument may differ, a retry may have computed it again), with what it was.
 */
export const contextOpById = defineQuery<
  { jobId: string; opId: string; op: string; path: string[] },
  ContextValueRow & { same: boolean; op: string; path: string[] }
>(/* sql */ `
SELECT result AS value, result IS NULL AS undef, version::text AS version, op, path,
       (op = $op AND path = $path::text[]) AS same
  FROM {{schema}}.context_log WHERE job_id = $jobId AND op_id = $opId`);

export const contextGet = defineQuery<{ jobId: string; path: string[] }, ContextValueRow>(/* sql */ `
SELECT value, value IS NULL AS undef, version
  FROM (SELECT {{schema}}.context_get_path(context, $path::text[]) AS value, context_version::text AS version
          FROM {{schema}}.jobs WHERE id = $jobId) AS j`);

export const contextHistory = defineQuery<
  { jobId: string; afterVersion: number; limit: number },
  { version: string; op: string; path: string[]; arg: unknown; actor: string; op_id: string | null; created_at: Date }
>(/* sql */ `
SELECT l.version::text AS version, l.op, l.path, l.arg, l.actor, l.op_id, l.created_at
  FROM {{schema}}.context_log l WHERE l.job_id = $jobId AND l.version > $afterVersion ORDER BY l.version LIMIT $limit`);

/** The context at `version`, and the job's current version (null: no such job). */
export const contextAtVersion = defineQuery<{ jobId: string; version: number }, { context: unknown; current: string | null }>(/* sql */ `
SELECT {{schema}}.context_at($jobId, $version) AS context,
       (SELECT context_version::text FROM {{schema}}.jobs WHERE id = $jobId) AS current`);

/**
 * One round of context log retention (migration 0049): up to `batch` jobs pruned to their cutoff.
 * One process per app at a time (`lockKey`, a try-lock: a sweeper that finds it taken skips the round).
 */
export const pruneContextLogs = defineQuery<
  { keepVersions: number | null; olderThanSeconds: number | null; batch: number; lockKey: string },
  { jobs: number; entries: string }
>(/* sql */ `
WITH ${SWEEP_LOCK}
SELECT coalesce(p.jobs, 0)::int AS jobs, coalesce(p.entries, 0)::text AS entries
  FROM lock LEFT JOIN LATERAL (
    SELECT * FROM {{schema}}.prune_context_logs($keepVersions::bigint, $olderThanSeconds::float8, $batch::int) WHERE lock.held
  ) p ON true`);

