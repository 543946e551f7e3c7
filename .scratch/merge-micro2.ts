import { MemFlow } from '../src/index.js';
const mf = await MemFlow.init({ appId: 'mm', dataDir: 'memory://' });
const engine = await mf.client.engine(mf.appId);
const d = engine.driver; const S = engine.sqlSchema;
const doc: Record<string, unknown> = { metrics: { count: 0 }, profile: {} };
for (let i = 0; JSON.stringify(doc).length < 8192; i++) (doc.profile as Record<string, string>)[`field${i}`] = 'x'.repeat(40);
const h = await mf.workflow.start({ workflowName: 'x', taskQueue: 'nobody' });
const memory = h.context({ actor: 'bench' });
await memory.set(doc);
await d.query(`CREATE TABLE bc (id text primary key, context jsonb)`); await d.query(`INSERT INTO bc VALUES ('a', $1::jsonb)`, [JSON.stringify(doc)]);
let i = 0;
const variants: Record<string, () => Promise<unknown>> = {
  raw: () => d.named('raw', `UPDATE bc SET context = jsonb_set(context, '{profile,latest}', $1::jsonb) WHERE id = 'a'`, [JSON.stringify({ i: ++i })]),
  opJsonb: () => d.named('opj', `SELECT value, undef, version FROM ${S}.context_op($1, $2, $3::text[], $4::jsonb, $5, $6, $7)`, [h.workflowId, 'merge', '{}', JSON.stringify({ profile: { latest: { i: ++i } } }), 1000000, null, 'bench']),
  opText: async () => { const r = await d.named<{ value: string }>('opt', `SELECT value::text AS value, undef, version FROM ${S}.context_op($1, $2, $3::text[], $4::jsonb, $5, $6, $7)`, [h.workflowId, 'merge', '{}', JSON.stringify({ profile: { latest: { i: ++i } } }), 1000000, null, 'bench']); return JSON.parse(r.rows[0]!.value); },
  opNoValue: () => d.named('opn', `SELECT undef, version FROM ${S}.context_op($1, $2, $3::text[], $4::jsonb, $5, $6, $7)`, [h.workflowId, 'merge', '{}', JSON.stringify({ profile: { latest: { i: ++i } } }), 1000000, null, 'bench']),
  memoryMerge: () => memory.merge({ profile: { latest: { i: ++i } } }),
};
const t: Record<string, number[]> = {};
for (let k = 0; k < 600; k++) for (const [name, f] of Object.entries(variants)) { const s = performance.now(); await f(); if (k >= 100) (t[name] ??= []).push(performance.now() - s); }
for (const [name, v] of Object.entries(t)) { v.sort((a, b) => a - b); console.log(name.padEnd(14), 'p50', (v[v.length >> 1]! * 1000).toFixed(0), 'us'); }
await mf.shutdown();
