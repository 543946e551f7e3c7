/**
 * Time travel (`context().at(v)`, SQL `context_at`) starts from the newest checkpoint at or before v
 * (one every 32 versions, migration 0028), not from version 0 (migration 0048): it reads at most 31
 * log rows, and needs no log row older than that checkpoint. The proof of the second: with the log
 * rows below version 64 deleted, the versions from 64 on still come back right (from version 0 the
 * rebuild stopped at the first missing row and answered the empty document).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemFlow, type MemFlowInstance } from '../src/index.js';
import { testConnection, uniqueAppId } from './support/backend.js';

export async function counts(to: number): Promise<number> {
  const ctx = await MemFlow.workflow.context();
  for (let i = 0; i < to; i++) await ctx.increment('n', 1);
  return to;
}

describe('context_at starts from a checkpoint', () => {
  let mf: MemFlowInstance;
  const appId = uniqueAppId('ctxat');

  beforeAll(async () => {
    mf = await MemFlow.init({ appId, engine: { connection: testConnection() } });
    await mf.worker.create({ taskQueue: 'ctxat', workflow: counts });
  });
  afterAll(async () => {
    await mf.shutdown();
  });

  it('gives each version\'s document, and those past a checkpoint without the log before it', async () => {
    const handle = await mf.workflow.start({ taskQueue: 'ctxat', workflowName: 'counts', workflowId: `ctxat-${Date.now()}`, args: [80] });
    expect(await handle.result()).toBe(80);
    const ctx = handle.context();
    for (const v of [1, 31, 32, 33, 63, 64, 65, 79, 80]) expect(await ctx.at(v), `version ${v}`).toEqual({ n: v });

    const engine = await mf.client.engine(appId);
    const checkpoints = await engine.driver.query<{ version: string }>(
      `SELECT version::text FROM ${engine.sqlSchema}.context_checkpoints WHERE job_id = $1 ORDER BY version`,
      [handle.workflowId],
    );
    expect(checkpoints.rows.map((r) => Number(r.version))).toEqual([32, 64]);
    await engine.driver.query(`DELETE FROM ${engine.sqlSchema}.context_log WHERE job_id = $1 AND version < 64`, [handle.workflowId]);
    for (const v of [64, 65, 70, 80]) expect(await ctx.at(v), `version ${v}, log below 64 gone`).toEqual({ n: v });
  });
});
