import { readFileSync } from 'node:fs';
import { MemFlow } from '../src/index.js';
const mf = await MemFlow.init({ appId: 'mm', dataDir: 'memory://' });
const engine = await mf.client.engine(mf.appId);
const d = engine.driver; const S = engine.sqlSchema;
const doc: Record<string, unknown> = { metrics: { count: 0 }, profile: { latest: { i: 0 } } };
for (let i = 0; JSON.stringify(doc).length < 8192; i++) (doc.profile as Record<string, string>)[`field${i}`] = 'x'.repeat(40);
const h = await mf.workflow.start({ workflowName: 'x', taskQueue: 'nobody' });
const memory = h.context({ actor: 'bench' });
await memory.set(doc);
await d.query(`CREATE TABLE bc (id text primary key, context jsonb)`); await d.query(`INSERT INTO bc VALUES ('a', $1::jsonb)`, [JSON.stringify(doc)]);
const variantSql = readFileSync(new URL('./op-variants.sql', import.meta.url), 'utf8').replaceAll('{{schema}}', S);
await d.exec(variantSql);
let i = 0;
const op = (fn: string) => () => d.named('op_' + fn, `SELECT value, undef, version FROM ${fn}($1, $2, $3::text[], $4::jsonb, $5, $6, $7)`, [h.workflowId, 'merge', '{}', JSON.stringify({ profile: { latest: { i: ++i } } }), 1000000, null, 'bench']);
const variants: Record<string, () => Promise<unknown>> = {
  rawQuery: () => d.query(`UPDATE bc SET context = jsonb_set(context, '{profile,latest}', $1::jsonb) WHERE id = 'a'`, [JSON.stringify({ i: ++i })]),
  op: op(`${S}.context_op`),
  opB: op(`${S}.context_op_b`),
  opC: op(`${S}.context_op_c`),
};
const t: Record<string, number[]> = {};
for (let k = 0; k < 700; k++) for (const [name, f] of Object.entries(variants)) { const s = performance.now(); await f(); if (k >= 100) (t[name] ??= []).push(performance.now() - s); }
for (const [name, v] of Object.entries(t)) { v.sort((a, b) => a - b); console.log(name.padEnd(14), 'p50', (v[v.length >> 1]! * 1000).toFixed(0), 'us'); }
await mf.shutdown();
