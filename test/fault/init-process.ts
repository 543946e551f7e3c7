// Child process for concurrent-start.test.ts: open one app and start one workflow, then report.
import { MemFlow } from 'hotmesh';
import { configFromArgv, say } from './support/child-side.js';

export interface InitConfig {
  appId: string;
  /** Passed to MemFlow.init as it is (`{ connectionString }` on postgres, `{ dataDir }` on pglite). */
  connection: { connectionString: string } | { dataDir: string };
}

const config = configFromArgv<InitConfig>();
async function hello(n: number) {
  return `hello ${n}`;
}
try {
  const mf = await MemFlow.init({ appId: config.appId, engine: { connection: config.connection } });
  await mf.worker.create({ taskQueue: 'start', workflow: hello });
  const handle = await mf.workflow.start({ taskQueue: 'start', workflowName: 'hello', args: [process.pid] });
  say(`OK ${JSON.stringify(await handle.result())}`);
  await mf.shutdown();
} catch (err) {
  say(`ERROR ${(err as Error).name}: ${(err as Error).message}`);
  process.exitCode = 2;
}
