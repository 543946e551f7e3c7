import { MemFlow } from '../src/index.js';
const mf = await MemFlow.init({ appId: 'mm', dataDir: 'memory://' });
const engine = await mf.client.engine(mf.appId);
const d = engine.driver; const S = engine.sqlSchema;
const doc: Record<string, unknown> = { metrics: { count: 0 }, profile: {} };
for (let i = 0; JSON.stringify(doc).length < 8192; i++) (doc.profile as Record<string, string>)[`field${i}`] = 'x'.repeat(40);
const docJ = JSON.stringify(doc);
async function time(label: string, sql: string, params: unknown[], n = 400) {
  for (let i = 0; i < 50; i++) await d.query(sql, params);
  const t = performance.now(); for (let i = 0; i < n; i++) await d.query(sql, params);
  console.log(label.padEnd(40), ((performance.now() - t) / n * 1000).toFixed(0), 'us');
}
await time('select 1', 'SELECT 1', []);
await time('merge fn x1 (returns 8k)', `SELECT ${S}.context_merge($1::jsonb, '{"profile":{"latest":{"i":1}}}')`, [docJ]);
await time('jsonb roundtrip (returns 8k)', `SELECT $1::jsonb`, [docJ]);
await time('merge fn x50 in one stmt', `SELECT count(${S}.context_merge($1::jsonb, '{"profile":{"latest":{"i":1}}}')) FROM generate_series(1,50)`, [docJ], 40);
await time('jsonb_set x50 in one stmt', `SELECT count(jsonb_set($1::jsonb, '{profile,latest}', '{"i":1}')) FROM generate_series(1,50)`, [docJ], 40);
await time('context_apply merge x50', `SELECT count(${S}.context_apply($1::jsonb, 'merge', '{}'::text[], '{"profile":{"latest":{"i":1}}}', 1000000)) FROM generate_series(1,50)`, [docJ], 40);
// a real op
const h = await mf.workflow.start({ workflowName: 'x', taskQueue: 'nobody' });
const memory = h.context({ actor: 'bench' });
await memory.set(doc);
let i = 0;
for (let k = 0; k < 50; k++) await memory.merge({ profile: { latest: { i: ++i } } });
let t = performance.now(); for (let k = 0; k < 400; k++) await memory.merge({ profile: { latest: { i: ++i } } });
console.log('memory.merge'.padEnd(40), ((performance.now() - t) / 400 * 1000).toFixed(0), 'us');
await d.query(`CREATE TABLE bc (id text primary key, context jsonb)`); await d.query(`INSERT INTO bc VALUES ('a', $1::jsonb)`, [docJ]);
await time('raw update', `UPDATE bc SET context = jsonb_set(context, '{profile,latest}', $1::jsonb) WHERE id = 'a'`, ['{"i":1}']);
await time('raw update returning', `UPDATE bc SET context = jsonb_set(context, '{profile,latest}', $1::jsonb) WHERE id = 'a' RETURNING context`, ['{"i":1}']);
t = performance.now(); for (let k = 0; k < 400; k++) await engine.query((await import('../src/sql/queries/context.js')).contextOpOutside, { jobId: h.workflowId, op: 'merge', path: [], arg: JSON.stringify({ profile: { latest: { i: ++i } } }), capBytes: 1000000, opId: null, actor: 'bench' } as any);
console.log('contextOpOutside stmt'.padEnd(40), ((performance.now() - t) / 400 * 1000).toFixed(0), 'us');
await mf.shutdown();
