// Permanent memory from the outside: after the workflow finished, read its context, change it,
// attach a hook to the finished job, and ask who changed what.
import { MemFlow, type MemFlowInstance } from 'hotmesh';

export async function profile(userId: string) {
  const ctx = await MemFlow.workflow.context();
  await ctx.set({ userId, visits: 0, tags: [] });
  await ctx.increment('visits');
  return 'profile created';
}

export async function tagger(tag: string) {
  const ctx = await MemFlow.workflow.context();
  await ctx.append('tags', tag);
  await ctx.toggle('flags.reviewed');
}

export async function runMemoryFromOutside(mf: MemFlowInstance) {
  await mf.worker.create({ taskQueue: 'profiles', workflow: profile });
  await mf.worker.create({ taskQueue: 'profiles', workflow: tagger });

  const handle = await mf.workflow.start({ taskQueue: 'profiles', workflowName: 'profile', args: ['u-42'], entity: 'user' });
  await handle.result(); // the main function is done; its record is not

  const memory = handle.context();
  await memory.increment('visits', 5); // atomic, from outside
  await memory.merge({ isPremium: true, plan: { tier: 'gold' } });

  await handle.hook({ taskQueue: 'profiles', workflowName: 'tagger', args: ['vip'] }); // a hook on a finished job
  while ((await memory.get('flags.reviewed')) !== true) await new Promise((r) => setTimeout(r, 50));

  const history = await memory.history(); // who changed what, in order
  return {
    context: await memory.get(), // { userId: 'u-42', visits: 6, isPremium: true, plan: {...}, tags: ['vip'], flags: {...} }
    changes: history.map((c) => `${c.version} ${c.op} ${c.path.join('.')} by ${c.actor}`),
    atVersion2: await memory.at(2), // { userId: 'u-42', visits: 1, tags: [] }
  };
}
