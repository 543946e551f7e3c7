/**
 * PostgreSQL's autovacuum for the embedded database. PGlite runs one backend and no background
 * workers, so nothing ever vacuums or analyzes its tables on its own:
 * - a queue's rows (tasks) are inserted and deleted once per workflow, and their space is never
 *   reused: 30,000 workflows left 5.8 MB of dead task rows behind a queue of 15 (measured), and the
 *   queue grows with every workflow the app ever ran;
 * - statistics are never refreshed, so a plan PL/pgSQL cached while a table was small (a scan) stands
 *   as it grows (docs/design-decisions.md, migration 0054).
 * So the driver does part of it: every few seconds it asks `pg_stat_user_tables` which tables passed the
 * thresholds PostgreSQL's own autovacuum uses by default (dead rows over 50 + 20% of the live ones,
 * rows inserted since the last vacuum over 1000 + 20%, rows changed since the last analyze over
 * 50 + 10%) and runs `VACUUM (ANALYZE)` or `ANALYZE` on each, one statement at a time: the one session
 * is held only while each runs, and other statements go between them. Not done: autovacuum's
 * anti-wraparound freezing (a table's oldest transaction id past 200 million: a plain VACUUM freezes
 * what it meets, and an embedded app that many transactions old is not what PGlite is for) and the
 * system catalogs.
 */
import type { MaintenanceEvent } from '../driver.js';
import { quoteIdentifier } from '../sql-identifier.js';

/** The database the upkeep runs on: the embedded driver's own statements. */
export interface MaintainedDatabase {
  query<R>(sql: string): Promise<{ rows: R[] }>;
  exec(sql: string): Promise<void>;
}

/** How often to look (ms). */
export const AUTOVACUUM_EVERY_MS = 10_000;

const DUE = /* sql */ `
SELECT schemaname AS schema, relname AS "table",
       n_dead_tup > 50 + 0.2 * n_live_tup OR n_ins_since_vacuum > 1000 + 0.2 * n_live_tup AS vacuum
  FROM pg_stat_user_tables
 WHERE n_dead_tup > 50 + 0.2 * n_live_tup
    OR n_ins_since_vacuum > 1000 + 0.2 * n_live_tup
    OR n_mod_since_analyze > 50 + 0.1 * n_live_tup
 ORDER BY n_dead_tup + n_mod_since_analyze DESC`;

/** `schema.table`, quoted, or undefined for a name the one quoting helper refuses (left alone). */
function qualified(schema: string, table: string): string | undefined {
  try {
    return `${quoteIdentifier(schema)}.${quoteIdentifier(table)}`;
  } catch {
    return undefined;
  }
}

export class Autovacuum {
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** The pass running or queued last: passes never overlap (a timer's and a caller's). */
  private last: Promise<unknown> = Promise.resolve();
  private stopped = false;
  /** The database is closing: a pass under way does no more tables. */
  private closing = false;

  constructor(
    private readonly db: MaintainedDatabase,
    private readonly tell: (event: MaintenanceEvent) => void,
    private readonly everyMs = AUTOVACUUM_EVERY_MS,
  ) {}

  /** A look is scheduled (the driver starts its looks when it opens). */
  get scheduled(): boolean {
    return this.timer !== undefined;
  }

  start(): void {
    if (this.stopped || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.pass().then(() => this.start());
    }, this.everyMs);
    this.timer.unref?.();
  }

  /** One look: vacuum or analyze every table past its threshold. The tables it did, in order. */
  pass(): Promise<Array<{ schema: string; table: string; action: 'vacuum' | 'analyze' }>> {
    const next = this.last.then(() => this.look());
    this.last = next;
    return next;
  }

  private async look(): Promise<Array<{ schema: string; table: string; action: 'vacuum' | 'analyze' }>> {
    const done: Array<{ schema: string; table: string; action: 'vacuum' | 'analyze' }> = [];
    let due: Array<{ schema: string; table: string; vacuum: boolean }>;
    try {
      // a backend reports its counts at most once a second: have them reported before reading them
      await this.db.query('SELECT pg_stat_force_next_flush()');
      due = (await this.db.query<{ schema: string; table: string; vacuum: boolean }>(DUE)).rows;
    } catch (error) {
      if (!this.stopped) this.report({ schema: '', table: '', action: 'vacuum', ms: 0, error });
      return done;
    }
    for (const { schema, table, vacuum } of due) {
      if (this.closing) break;
      const name = qualified(schema, table);
      if (!name) continue;
      const action = vacuum ? 'vacuum' : 'analyze';
      const started = performance.now();
      try {
        await this.db.exec(vacuum ? `VACUUM (ANALYZE) ${name}` : `ANALYZE ${name}`);
        done.push({ schema, table, action });
        this.report({ schema, table, action, ms: performance.now() - started });
      } catch (error) {
        // a table dropped meanwhile (an app's schema), or the database closing
        if (!this.stopped) this.report({ schema, table, action, ms: performance.now() - started, error });
      }
    }
    return done;
  }

  /** A listener that throws must not end the looks (nor the process: they run from a timer). */
  private report(event: MaintenanceEvent): void {
    try {
      this.tell(event);
    } catch {
      // the listener's own failure: nothing to tell it with
    }
  }

  /**
   * No more looks on the timer (a pass asked for still runs); waits for the one running, if any.
   * `closing`: the database is about to close, so the pass under way stops after its current table.
   */
  async stop(closing = false): Promise<void> {
    this.stopped = true;
    this.closing ||= closing;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.last;
  }
}
