/**
 * What a test polls instead of sleeping: the rows that show where a job stands. A signal sent after
 * `untilWaiting` meets a live waitFor (not the buffer); an interrupt sent after `untilJournaled`
 * lands after that step. Under load a fixed sleep orders nothing; these wait as long as it takes.
 */
import { eventually } from './backend.js';

/** An app engine as the tests reach it (`mf.client.engine(appId)` or `client.engine(namespace)`). */
export interface AppDatabase {
  readonly sqlSchema: string;
  readonly driver: { query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: R[] }> };
}

/** The signal ids the job's threads are suspended on right now (rows of `<schema>.waiters`). */
export async function awaitedSignals(db: AppDatabase, jobId: string): Promise<string[]> {
  const res = await db.driver.query<{ signal_id: string }>(
    `SELECT signal_id FROM ${db.sqlSchema}.waiters WHERE job_id = $1 ORDER BY seq`,
    [jobId],
  );
  return res.rows.map((r) => r.signal_id);
}

/** Resolves once the job waits for every one of `signalIds`. */
export async function untilWaiting(db: AppDatabase, jobId: string, ...signalIds: string[]): Promise<void> {
  await eventually(async () => {
    const awaited = await awaitedSignals(db, jobId);
    return signalIds.every((id) => awaited.includes(id));
  }, 20_000);
}

/** Resolves once the job waits for none of `signalIds` any more (each was delivered). */
export async function untilNotWaiting(db: AppDatabase, jobId: string, ...signalIds: string[]): Promise<void> {
  await eventually(async () => {
    const awaited = await awaitedSignals(db, jobId);
    return signalIds.every((id) => !awaited.includes(id));
  }, 20_000);
}

export interface JournalRow {
  thread: string;
  seq: number;
  kind: string;
  name: string;
  status: 'done' | 'failed' | 'retry';
  attempt: number;
}

/** The job's journal, in call order. */
export async function journalOf(db: AppDatabase, jobId: string): Promise<JournalRow[]> {
  const res = await db.driver.query<JournalRow>(
    `SELECT thread, seq, kind, name, status, attempt FROM ${db.sqlSchema}.journal WHERE job_id = $1 ORDER BY thread, seq`,
    [jobId],
  );
  return res.rows;
}

/** Resolves with the first journal row that matches, once one exists. */
export async function untilJournaled(db: AppDatabase, jobId: string, match: (row: JournalRow) => boolean): Promise<JournalRow> {
  return eventually(async () => (await journalOf(db, jobId)).find(match), 20_000);
}
