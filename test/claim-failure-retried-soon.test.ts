/**
 * A claim that fails is tried again soon, not at the idle poll. Found while hardening the dropped
 * connections fault test: with the worker's polling backed off (up to `maxPollMs`), a claim asked for
 * by a start's NOTIFY that failed on a dropped connection left the job waiting for the next poll,
 * seconds later, although the database was back at once.
 *
 * Here the claim fails because its function is renamed away (as test/logging-worker-trouble.test.ts
 * does), while the worker has idled long enough that its next poll is seconds off. The job is started
 * by another instance (no worker of its own: the start NOTIFYs the topic, and the worker's claim is
 * what fails). Once the function is back, the job must run within RUN_WITHIN_MS; an engine that waits
 * for the poll runs it about 5 s later.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemFlow, type MemFlowInstance } from '../src/index.js';
import { eventually, testConnection, uniqueAppId } from './support/backend.js';

export async function retriedSoon(tag: string): Promise<string> {
  return `${tag}:ran`;
}

/** The worker's idle polls back off to this: 0.05, 0.1, ... 6.4 s apart on PostgreSQL, 1, 2, 4, 8 s on PGlite. */
const MAX_POLL_MS = 10_000;
/** Idle this long, the worker's next poll is at least ~5 s away on either backend. */
const IDLE_MS = 7_500;
/** From the function's return to the job's result: a retry comes within 0.25-0.5 s of it. */
const RUN_WITHIN_MS = 2_500;

describe('a failed claim', () => {
  const appId = uniqueAppId('claim-retry');
  let worker: MemFlowInstance;
  let starter: MemFlowInstance;
  beforeAll(async () => {
    worker = await MemFlow.init({ appId, engine: { connection: testConnection() }, worker: { maxPollMs: MAX_POLL_MS } });
    await worker.worker.create({ taskQueue: 'retry', workflow: retriedSoon });
    starter = await MemFlow.init({ appId, engine: { connection: testConnection() } });
  });
  afterAll(async () => {
    await starter?.shutdown();
    await worker?.shutdown();
  });

  it('is tried again soon once the database answers, not at the next idle poll', { timeout: 60_000 }, async () => {
    const engine = await worker.client.engine(appId);
    const warm = await starter.workflow.start({ taskQueue: 'retry', workflowName: 'retriedSoon', args: ['warm'] });
    expect(await warm.result()).toBe('warm:ran');
    await new Promise((r) => setTimeout(r, IDLE_MS)); // the worker's polls back off

    const claim = `${engine.sqlSchema}.claim_tasks(text, float8, text[], int)`;
    await engine.driver.query(`ALTER FUNCTION ${claim} RENAME TO claim_tasks_away`);
    let restoredAt = 0;
    try {
      const tag = `retry-${Date.now()}`;
      const handle = await starter.workflow.start({ taskQueue: 'retry', workflowName: 'retriedSoon', args: [tag] });
      // the NOTIFY's claim fails (the function is gone): the job waits
      await eventually(async () => (await engine.driver.query(`SELECT 1 FROM ${engine.sqlSchema}.tasks WHERE job_id = $1 AND lease_owner IS NULL`, [handle.workflowId])).rows.length === 1, 10_000);
      await new Promise((r) => setTimeout(r, 300));
      await engine.driver.query(`ALTER FUNCTION ${engine.sqlSchema}.claim_tasks_away(text, float8, text[], int) RENAME TO claim_tasks`);
      restoredAt = Date.now();
      expect(await handle.result()).toBe(`${tag}:ran`);
      const ranAfterMs = Date.now() - restoredAt;
      console.log(`claim retry: the job ran ${ranAfterMs} ms after the claim function was back`);
      expect(ranAfterMs).toBeLessThan(RUN_WITHIN_MS);
    } finally {
      if (!restoredAt) {
        await engine.driver.query(`ALTER FUNCTION ${engine.sqlSchema}.claim_tasks_away(text, float8, text[], int) RENAME TO claim_tasks`);
      }
    }
  });
});
