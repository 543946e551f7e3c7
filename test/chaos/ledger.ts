/**
 * The ledger: what really happened, written outside the engine, in plain tables of the chaos
 * database (schema `chaos`), each with its own connection.
 *
 * - `chaos.ledger`: one row per execution of an activity, inserted by the activity itself before it
 *   does anything else: its durable call (job, thread, seq), attempt, pid, a nonce that the activity
 *   also returns (so the journaled result names the execution that produced it), and when it began.
 * - `chaos.signals_sent`: one row per signal the load sent, with the unique id it carries, written
 *   once the send returned.
 */
import pg from 'pg';
import { isTransientDbError } from '../../src/storage/transient-error.js';

export const LEDGER_DDL = /* sql */ `
CREATE SCHEMA IF NOT EXISTS chaos;
CREATE TABLE IF NOT EXISTS chaos.ledger (
  nonce      text PRIMARY KEY,
  job_id     text NOT NULL,
  thread     text NOT NULL,
  seq        int NOT NULL,
  name       text NOT NULL,
  attempt    int NOT NULL,
  pid        int NOT NULL,
  -- when the activity was entered (the worker's clock: the same host's), before the insert could be
  -- held up by a restart; the oracle compares it with when the call's result committed
  began_at   timestamptz NOT NULL,
  started_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX IF NOT EXISTS ledger_by_call ON chaos.ledger (job_id, thread, seq);
CREATE INDEX IF NOT EXISTS ledger_by_start ON chaos.ledger (began_at);
CREATE TABLE IF NOT EXISTS chaos.signals_sent (
  sid       text PRIMARY KEY,
  job_id    text NOT NULL,
  signal_id text NOT NULL,
  sent_at   timestamptz NOT NULL DEFAULT clock_timestamp()
);`;

export interface LedgerEntry {
  nonce: string;
  jobId: string;
  thread: string;
  seq: number;
  name: string;
  attempt: number;
  pid: number;
  /** Epoch ms at which the activity was entered. */
  beganAt: number;
}

/** Retry a statement through restarts and terminated sessions (up to `ms`); anything else throws. */
export async function persist<T>(fn: () => Promise<T>, ms = 120_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (!isTransientDbError(err) || Date.now() > until) throw err;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** Where an activity records its execution. */
export interface Ledger {
  record(entry: LedgerEntry): Promise<unknown>;
}

/** The ledger's writer in a PostgreSQL worker: a small pool of its own, straight to the server (no proxy). */
export class LedgerWriter implements Ledger {
  private readonly pool: pg.Pool;

  constructor(url: string, applicationName: string) {
    this.pool = new pg.Pool({ connectionString: url, application_name: applicationName, max: 4, connectionTimeoutMillis: 5000 });
    this.pool.on('error', () => {});
  }

  /** Record one execution (idempotent by nonce: a retry after a lost reply inserts nothing). */
  record(entry: LedgerEntry): Promise<unknown> {
    return persist(() =>
      this.pool.query(
        `INSERT INTO chaos.ledger (nonce, job_id, thread, seq, name, attempt, pid, began_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, to_timestamp($8::float8 / 1000)) ON CONFLICT (nonce) DO NOTHING`,
        [entry.nonce, entry.jobId, entry.thread, entry.seq, entry.name, entry.attempt, entry.pid, entry.beganAt],
      ),
    );
  }

  end(): Promise<void> {
    return this.pool.end();
  }
}
