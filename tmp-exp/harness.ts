import pg from 'pg';
import { MemFlow } from '../src/index.js';
const CONC = +(process.env.CONC ?? 16), WF_N = +(process.env.WF_N ?? 1000);
const activities = { async addOne(x: number) { return x + 1; } };
export async function nStep(x: number) {
  const { addOne } = MemFlow.workflow.proxyActivities({ activities, retryPolicy: { maximumAttempts: 3 } });
  return addOne(x);
}
const db = 'postgres://postgres@127.0.0.1:5432/test';
const connection = { class: pg.Client, options: { connectionString: db } };
const appId = `hx${Date.now()}`;
await MemFlow.Worker.create({ connection, taskQueue: 'bench', workflow: nStep, namespace: appId } as any);
const client = new MemFlow.Client({ connection });
const counts = new Map<string, number>();
const engines = new Set<any>();
const origQuery = (await import('../src/engine/engine.js')).Engine.prototype.query;
(await import('../src/engine/engine.js')).Engine.prototype.query = function (this: any, q: any, p: any, o: any) {
  engines.add(this.instance);
  const k = q.text.match(/\.(\w+)\(/)?.[1] ?? q.text.slice(0, 30).replace(/\s+/g, ' ');
  counts.set(k, (counts.get(k) ?? 0) + 1);
  return origQuery.call(this, q, p, o);
};
const runOne = async (i: number) => {
  const h = await client.workflow.start({ args: [i], taskQueue: 'bench', workflowName: 'nStep', workflowId: `wf-${i}-${MemFlow.guid()}`, namespace: appId });
  if ((await h.result()) !== i + 1) throw new Error('bad');
};
for (let i = 0; i < 20; i++) await runOne(-1 - i);
counts.clear();
const t0 = performance.now();
let next = 0;
await Promise.all(Array.from({ length: CONC }, async () => { while (next < WF_N) await runOne(next++); }));
const ms = performance.now() - t0;
console.log('wf/s', Math.round(WF_N / (ms / 1000)), 'engines', engines.size);
console.log([...counts].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${(v / WF_N).toFixed(2)}`).join('\n'));
await MemFlow.shutdown();
process.exit(0);
