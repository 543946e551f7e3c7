// The README's "Hooks & Context API – Full Example", as written there, with the import path set to
// `hotmesh` and the `pg` import the README sample forgot. The test suite runs it on both backends.
import { MemFlow } from 'hotmesh';
import { Client as Postgres } from 'pg';

/* ------------ Main workflow ------------ */
export async function example(name: string): Promise<any> {
  //the context method provides transactional, replayable access to shared job state 
  const ctx = await MemFlow.workflow.context();

  //create the initial context (even arrays are supported)
  await ctx.set({
    user: { name },
    hooks: {},
    metrics: { count: 0 }
  });

  // Call two hooks in parallel to updaet the same shared context
  const [r1, r2] = await Promise.all([
    MemFlow.workflow.execHook({
      taskQueue: 'contextual',
      workflowName: 'hook1',
      args: [name, 'hook1'],
      signalId: 'hook1-complete',
    }),
    MemFlow.workflow.execHook({
      taskQueue: 'contextual',
      workflowName: 'hook2',
      args: [name, 'hook2'],
      signalId: 'hook2-complete',
    })
  ]);

  // merge here (or have the hooks merge in...everyone can access context)
  await ctx.merge({ hooks: { r1, r2 } });
  await ctx.increment('metrics.count', 2);

  return "The main has completed; the db record persists and can be hydrated; hook in from the outside!";
}

/* ------------ Hook 1 (hooks have access to methods like sleepFor) ------------ */
export async function hook1(name: string, kind: string): Promise<any> {
  await MemFlow.workflow.sleepFor('2 seconds');
  const res = { kind, processed: true, at: Date.now() };
  await MemFlow.workflow.signal('hook1-complete', res);
}

/* ------------ Hook 2 (hooks can access shared job context) ------------ */
export async function hook2(name: string, kind: string): Promise<void> {
  const ctx = await MemFlow.workflow.context();
  await ctx.merge({ user: { lastSeen: new Date().toISOString() } });
  await MemFlow.workflow.signal('hook2-complete', { ok: true });
}

/* ------------ Worker/Hook Registration ------------ */
export async function startWorker() {
  const mf = await MemFlow.init({
    appId: 'my-app',
    engine: {
      connection: {
        class: Postgres,
        options: { connectionString: process.env.DATABASE_URL }
      }
    }
  });

  const worker = await mf.worker.create({
    taskQueue: 'contextual',
    workflow: example
  });

  await mf.worker.create({
    taskQueue: 'contextual',
    workflow: hook1
  });

  await mf.worker.create({
    taskQueue: 'contextual',
    workflow: hook2
  });

  console.log('Workers and hooks started and listening...');
}
