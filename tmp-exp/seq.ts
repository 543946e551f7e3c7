import pg from 'pg';
import { MemFlow } from '../src/index.js';
const acts = { async addOne(x: number) { return x + 1; } };
export async function oneStep(x: number) {
  const { addOne } = MemFlow.workflow.proxyActivities<typeof acts>({ activities: acts });
  return addOne(x);
}
const mf = await MemFlow.init({ appId: 'seqexp', engine: { connection: { class: pg.Client, options: { connectionString: 'postgres://postgres@127.0.0.1:5432/test' } } } });
await mf.worker.create({ taskQueue: 'q', workflow: oneStep });
const engine = await mf.client.engine(mf.appId);
const orig = engine.driver.named.bind(engine.driver);
const marks: Array<[string, number]> = [];
(engine.driver as any).named = async (name: string, sql: string, params: unknown[]) => {
  const short = sql.match(/\.(\w+)\(/)?.[1] ?? sql.slice(0, 20);
  marks.push([`send ${short}`, performance.now()]);
  const r = await orig(name, sql, params);
  marks.push([`recv ${short}`, performance.now()]);
  return r;
};
const sums = new Map<string, number[]>();
for (let i = 0; i < 1500; i++) {
  marks.length = 0;
  const t0 = performance.now();
  marks.push(['begin', t0]);
  const h = await mf.workflow.start({ taskQueue: 'q', workflowName: 'oneStep', args: [i] });
  await h.result();
  marks.push(['end', performance.now()]);
  if (i < 300) continue;
  for (let k = 1; k < marks.length; k++) {
    const key = `${marks[k - 1]![0]} -> ${marks[k]![0]}`;
    if (!sums.has(key)) sums.set(key, []);
    sums.get(key)!.push(marks[k]![1] - marks[k - 1]![1]);
  }
  const key = 'TOTAL';
  if (!sums.has(key)) sums.set(key, []);
  sums.get(key)!.push(marks[marks.length - 1]![1] - t0);
}
const med = (a: number[]) => a.sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
for (const [k, v] of sums) console.log(k.padEnd(60), v.length, med(v).toFixed(3));
await mf.shutdown();
