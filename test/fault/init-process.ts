// Child process for concurrent-start.test.ts: open one app and start one workflow, then report.
import { MemFlow } from 'hotmesh';

const [appId, connectionJson] = process.argv.slice(2);
async function hello(n: number) {
  return `hello ${n}`;
}
try {
  const mf = await MemFlow.init({ appId: appId!, engine: { connection: JSON.parse(connectionJson!) } });
  await mf.worker.create({ taskQueue: 'start', workflow: hello });
  const handle = await mf.workflow.start({ taskQueue: 'start', workflowName: 'hello', args: [process.pid] });
  console.log(`OK ${JSON.stringify(await handle.result())}`);
  await mf.shutdown();
} catch (err) {
  console.log(`ERROR ${(err as Error).name}: ${(err as Error).message}`);
  process.exitCode = 2;
}
