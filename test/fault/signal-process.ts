/**
 * A real process for the "a signal survives kill -9" test (spawned by readme-promises-crash.test.ts,
 * never imported).
 *
 *   node --import tsx test/fault/signal-process.ts '<json SignalFaultConfig>'
 *
 * Modes:
 *   - `start`:  serve `approval`, start the job, print `WAITING` once the job waits for both of its
 *               signals (its waiter rows exist and its task is released), and stay up: the test
 *               SIGKILLs it.
 *   - `signal`: serve nothing; send the job signal `approval` (handle.signal) and the app-wide signal
 *               `release` (mf.workflow.signal), print `SIGNALED` once both calls returned, and stay up:
 *               the test SIGKILLs it.
 *   - `finish`: serve `approval`, wait for the job's result, print it, shut down cleanly, exit 0.
 *
 * Protocol (one line each, on stdout): `READY`, `WAITING`, `SIGNALED`, `RESULT <json>`, `ERROR <json>`.
 */
import { MemFlow } from '../../src/index.js';
import { eventually } from '../support/backend.js';
import { type BackendConfig, configFromArgv, connectionFor, exitWithError, exitWithResult, say } from './support/child-side.js';

export interface SignalFaultConfig extends BackendConfig {
  mode: 'start' | 'signal' | 'finish';
  appId: string;
  workflowId: string;
}

const TASK_QUEUE = 'signalfault';
const config = configFromArgv<SignalFaultConfig>();

/** Waits for a job signal and an app-wide one, then answers with both and the pid that ran the end. */
async function approval() {
  const [approved, release] = await Promise.all([
    MemFlow.workflow.waitFor<{ by: number }>('approval'),
    MemFlow.workflow.waitFor<{ by: number }>('release'),
  ]);
  return { approved, release };
}

const mf = await MemFlow.init({ appId: config.appId, engine: { connection: connectionFor(config) } });
const shutdown = () => mf.shutdown();
try {
  if (config.mode !== 'signal') await mf.worker.create({ taskQueue: TASK_QUEUE, workflow: approval, options: { leaseSeconds: 2 } });
  say('READY');
  if (config.mode === 'start') {
    await mf.workflow.start({ taskQueue: TASK_QUEUE, workflowName: 'approval', workflowId: config.workflowId, args: [] });
    const engine = await mf.client.engine(config.appId);
    await eventually(async () => {
      const res = await engine.driver.query<{ waiting: number; released: number }>(
        `SELECT (SELECT count(*)::int FROM ${engine.sqlSchema}.waiters WHERE job_id = $1) AS waiting,
                (SELECT count(*)::int FROM ${engine.sqlSchema}.tasks WHERE job_id = $1 AND lease_owner IS NULL) AS released`,
        [config.workflowId],
      );
      return res.rows[0]!.waiting === 2 && res.rows[0]!.released === 1;
    }, 20_000);
    say('WAITING');
  } else if (config.mode === 'signal') {
    const handle = await mf.workflow.getHandle(TASK_QUEUE, 'approval', config.workflowId);
    await handle.signal('approval', { by: process.pid });
    await mf.workflow.signal('release', { by: process.pid });
    say('SIGNALED');
  } else {
    await exitWithResult(shutdown, async () => (await mf.workflow.getHandle(TASK_QUEUE, 'approval', config.workflowId)).result());
  }
  // `start` and `signal` stay up until the test kills them.
} catch (err) {
  await exitWithError(shutdown, err);
}
