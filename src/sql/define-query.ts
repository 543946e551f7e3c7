/**
 * Named queries with named, typed parameters. A query's text names its parameters (`$taskId`,
 * `$claims::int`) and its type says what they are; callers pass an object, so no statement is fed by
 * position. The text is compiled once, at module load, to PostgreSQL's `$1 … $n` (in order of first
 * appearance) plus the list of names that fills them.
 *
 * `{{schema}}` and `{{channel}}` stay in the text until an app binds it (storage/sql-identifier.ts).
 */

/** A query whose parameters are P and whose rows are R. */
export interface Query<P extends object, R> {
  /** The text with `$1 … $n`, and `{{schema}}` still unbound. */
  readonly text: string;
  /** Which property of the params object fills `$1`, `$2`, ... */
  readonly params: readonly (keyof P & string)[];
  /** Type-only: the row shape. */
  readonly row?: R;
  /** DDL that may run for minutes: no statement deadline (storage/driver.ts StatementOptions). */
  readonly noDeadline?: boolean;
  /** A statement that locks several jobs: run again when PostgreSQL refuses it as a deadlock victim (storage/conflict-retry.ts). */
  readonly retryConflicts?: boolean;
}

export type NoParams = Record<string, never>;

const NAMED = /\$([a-z][A-Za-z0-9]*)/g;

export function defineQuery<P extends object = NoParams, R = Record<string, unknown>>(
  text: string,
  options: { noDeadline?: boolean; retryConflicts?: boolean } = {},
): Query<P, R> {
  const params: string[] = [];
  const compiled = text.replace(NAMED, (_, name: string) => {
    let i = params.indexOf(name);
    if (i < 0) i = params.push(name) - 1;
    return `$${i + 1}`;
  });
  return {
    text: compiled,
    params: params as (keyof P & string)[],
    ...(options.noDeadline ? { noDeadline: true } : {}),
    ...(options.retryConflicts ? { retryConflicts: true } : {}),
  };
}

/** The positional values of a call, checking that every named parameter was given (null for SQL NULL). */
export function bindParams<P extends object>(query: Query<P, unknown>, values: P): unknown[] {
  return query.params.map((name) => {
    const value = (values as Record<string, unknown>)[name];
    if (value === undefined) throw new Error(`query parameter '${name}' missing (pass null for SQL NULL)`);
    return value;
  });
}

/** The lease a worker holds on a task: every write it makes for the task is fenced by it. */
export interface LeaseParams {
  taskId: string;
  claims: number;
}

/** A held lease plus the thread it is for (most in-thread statements take both). */
export interface ThreadLeaseParams extends LeaseParams {
  jobId: string;
  thread: string;
}

/** A call's position: its seq and the delivery batch its result is handed back in. */
export interface CallPositionParams extends ThreadLeaseParams {
  seq: number;
  batch: number;
}

/**
 * The first CTE of a background sweep (`lock`, one column `held`): a transaction-level try-lock keyed
 * by the `$lockKey` parameter, so one process per app sweeps at a time and the others skip the round.
 * Each sweep's deletes add `AND (SELECT held FROM lock)`.
 */
export const SWEEP_LOCK = `lock AS MATERIALIZED (
  SELECT pg_try_advisory_xact_lock(hashtextextended($lockKey, 0)) AS held
)`;
