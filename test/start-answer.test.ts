/**
 * A start answers only what the database decided (jobs.StartAnswer: the task's id and claims, the
 * arguments and options as stored, its clock), and the write lane completes it into the row a claim
 * would have answered (memflow/start-job.ts startedRow). The completed row must be the function's own
 * full row, column for column, for the lone start and for a group, or the worker's first run of a job
 * started here would differ from every later replay of it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../src/engine/engine.js';
import type { StartParams } from '../src/engine/write-lane.js';
import { startedRow } from '../src/memflow/start-job.js';
import { MemFlow, type MemFlowInstance } from '../src/index.js';
import * as jobs from '../src/sql/queries/jobs.js';
import { testConnection, uniqueAppId } from './support/backend.js';

describe('start answer', () => {
  let mf: MemFlowInstance;
  let engine: Engine;

  beforeAll(async () => {
    mf = await MemFlow.init({ appId: uniqueAppId('startans'), engine: { connection: testConnection() } });
    engine = await mf.client.engine(mf.appId);
  });
  afterAll(async () => {
    await mf.shutdown();
  });

  const params = (jobId: string, entity: string | null): StartParams => ({
    jobId,
    entity,
    workflowName: 'echo',
    taskQueue: 'q',
    input: JSON.stringify([{ b: 1, a: [2, 'x'], zz: null }, 3.5]),
    options: JSON.stringify({ expire: 5, config: { maximumAttempts: 2 } }),
    search: '{}',
    parentId: null,
    topic: 'q-echo',
    channel: engine.channel,
    origin: engine.origin,
    owner: 'owner-1',
    leaseSeconds: 30,
    notify: false,
  });

  /** Every column of the function's own row (what `SELECT *` answered before the lane completed it). */
  async function fullRows(items: StartParams[]): Promise<Record<string, unknown>[]> {
    const json = JSON.stringify(items.map((p, i) => ({ ...p, i })));
    const res = await engine.driver.query<Record<string, unknown>>(`SELECT * FROM ${engine.sqlSchema}.start_jobs_held($1::jsonb) ORDER BY idx`, [json]);
    return res.rows.map(({ idx: _idx, ...row }) => row);
  }

  it('the lone start, completed, is the function\'s full row', async () => {
    const p = params(`lone-${Date.now()}`, 'ent-1');
    const answer = (await engine.query(jobs.startJob, p)).rows[0]!;
    expect(Object.keys(answer).sort()).toEqual(['args', 'claims', 'db_now', 'id', 'job_options']);
    const [full] = await fullRows([params(`${p.jobId}-full`, 'ent-1')]);
    const completed = startedRow(p, answer);
    // the same column for column, but the id, the task and the clock (another job, started later)
    for (const [column, value] of Object.entries(full!)) {
      if (column === 'id' || column === 'job_id' || column === 'db_now') continue;
      expect({ column, value: completed[column as keyof typeof completed] }).toEqual({ column, value });
    }
    expect(completed.job_id).toBe(p.jobId);
    expect(typeof completed.db_now).toBe('number');
    expect(completed.args).toEqual([{ a: [2, 'x'], b: 1, zz: null }, 3.5]);
  });

  it('a group\'s starts, completed, are the function\'s full rows', async () => {
    const tag = `grp-${Date.now()}`;
    const items = [params(`${tag}-a`, null), params(`${tag}-b`, 'ent-2')];
    const answers = (await engine.query(jobs.startJobs, { items: JSON.stringify(items.map((p, i) => ({ ...p, i }))) })).rows.sort((x, y) => x.idx - y.idx);
    const full = await fullRows(items.map((p) => ({ ...p, jobId: `${p.jobId}-full` })));
    answers.forEach(({ idx, ...answer }, k) => {
      const completed = startedRow(items[idx]!, answer);
      for (const [column, value] of Object.entries(full[k]!)) {
        if (column === 'id' || column === 'job_id' || column === 'db_now') continue;
        expect({ column, value: completed[column as keyof typeof completed] }).toEqual({ column, value });
      }
      expect(completed.job_id).toBe(items[idx]!.jobId);
    });
  });
});
