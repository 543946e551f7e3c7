/**
 * A real worker process for the lease-fence test (spawned by lease-fence.test.ts, never imported).
 *
 *   node --import tsx test/fault/fence-process.ts '<json FenceConfig>'
 *
 * Serves `fenced` (one activity, `hold`, that reports `RUNNING <pid>` and returns only when the test
 * writes `release` on stdin) with a 2 s lease; `start` also starts the job. Every journal write this
 * process makes is reported as `APPENDED <rows>` (rows 0: the write was fenced off), by wrapping the
 * driver the worker uses: the test sees whether a worker that lost its lease still wrote.
 *
 * Protocol (one line each, on stdout): `READY`, `STARTED <id>`, `RUNNING <pid>`, `APPENDED <rows>`,
 * `ERROR <json>`. It never exits by itself: the test kills it.
 */
import { MemFlow } from '../../src/index.js';
import { appendResult } from '../../src/sql/queries/journal.js';
import { type BackendConfig, configFromArgv, connectionFor, exitWithError, say, untilCommand } from './support/child-side.js';

export interface FenceConfig extends BackendConfig {
  mode: 'start' | 'standby';
  appId: string;
  workflowId: string;
}

const config = configFromArgv<FenceConfig>();

const { hold } = MemFlow.workflow.proxyActivities({
  activities: {
    async hold(): Promise<{ by: number }> {
      say(`RUNNING ${process.pid}`);
      await untilCommand('release');
      return { by: process.pid };
    },
  },
  retryPolicy: { maximumAttempts: 1, backoffCoefficient: 1, maximumInterval: '1s' },
});

async function fenced() {
  return hold();
}

const mf = await MemFlow.init({ appId: config.appId, engine: { connection: connectionFor(config) } });
try {
  const engine = await mf.client.engine(config.appId);
  const driver = engine.driver;
  const appendSql = engine.bind(appendResult).text;
  const named = driver.named.bind(driver);
  driver.named = (async (name: string, sql: string, params: unknown[]) => {
    const res = await named(name, sql, params);
    if (sql === appendSql) say(`APPENDED ${res.rowCount}`);
    // a run's last result is written with its end (migration 0046): NULL, the write was refused
    // (alone, or in a group of concurrent finishes, migration 0050: a row per finish; beside starts,
    // engine/write-lane.ts: each row as JSON `r`, a finish's tagged 'f')
    if (/\.finish_threads?_journaled\(/.test(sql)) {
      for (const row of res.rows as Array<{ notice?: unknown; k?: string; r?: { notice: unknown } }>) {
        const finish = row.k === undefined ? row : row.k === 'f' ? row.r! : undefined;
        if (finish) say(`APPENDED ${finish.notice === null ? 0 : 1}`);
      }
    }
    return res;
  }) as typeof driver.named;
  await mf.worker.create({ taskQueue: 'fence', workflow: fenced, options: { leaseSeconds: 2 } });
  say('READY');
  if (config.mode === 'start') {
    const handle = await mf.workflow.start({ taskQueue: 'fence', workflowName: 'fenced', workflowId: config.workflowId, args: [] });
    say(`STARTED ${handle.workflowId}`);
  }
} catch (err) {
  await exitWithError(() => mf.shutdown(), err);
}
