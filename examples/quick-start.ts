// The README's Quick Start, runnable as `npm run demo`: with DATABASE_URL unset it runs on the
// embedded PGlite database (./.hotmesh), with it set, on PostgreSQL. The workers are the README's
// own `startWorker()` from the hooks example.
import { MemFlow } from 'hotmesh';
import { Client as Postgres } from 'pg';
import { startWorker } from './hooks-and-context.js';

export async function main() {
  const mf = await MemFlow.init({
    appId: 'my-app',
    engine: {
      connection: {
        class: Postgres,
        options: { connectionString: process.env.DATABASE_URL }
      }
    }
  });

  // Kick off a workflow
  const handle = await mf.workflow.start({
    workflowName: 'example',
    args: ['Jane'],
    taskQueue: 'contextual'
  });

  console.log('Result:', await handle.result());
  return handle;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await startWorker();
  const handle = await main();
  const context = await handle.context().get();
  console.log('Context:', JSON.stringify(context, null, 2));
  await MemFlow.shutdown();
}
