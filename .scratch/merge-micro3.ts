import { MemFlow } from '../src/index.js';
const mf = await MemFlow.init({ appId: 'mm', dataDir: 'memory://' });
const engine = await mf.client.engine(mf.appId);
const d = engine.driver; const S = engine.sqlSchema;
const doc: Record<string, unknown> = { metrics: { count: 0 }, profile: {} };
for (let i = 0; JSON.stringify(doc).length < 8192; i++) (doc.profile as Record<string, string>)[`field${i}`] = 'x'.repeat(40);
await d.query(`CREATE TABLE bc (id text primary key, context jsonb)`); await d.query(`INSERT INTO bc VALUES ('a', $1::jsonb)`, [JSON.stringify(doc)]);
await d.query(`CREATE TABLE lg (id text, v bigint, op text, path text[], arg jsonb, actor text, op_id text, result jsonb, created_at timestamptz default now())`);
const arg = JSON.stringify({ profile: { latest: { i: 1 } } });
const variants: Record<string, () => Promise<unknown>> = {
  select1: () => d.named('s1', `SELECT 1`, []),
  rawUpdate: () => d.named('raw', `UPDATE bc SET context = jsonb_set(context, '{profile,latest}', '{"i":1}') WHERE id = 'a'`, []),
  updMerge: () => d.named('um', `UPDATE bc SET context = ${S}.context_merge(context, $1::jsonb) WHERE id = 'a'`, [arg]),
  updApply: () => d.named('ua', `UPDATE bc SET context = ${S}.context_apply(context, 'merge', '{}', $1::jsonb, 1000000) WHERE id = 'a'`, [arg]),
  updConcat: () => d.named('uc', `UPDATE bc SET context = context || jsonb_build_object('profile', (context->'profile') || $1::jsonb) WHERE id = 'a'`, ['{"latest":{"i":1}}']),
  insertLog: () => d.named('il', `INSERT INTO lg (id, v, op, path, arg, actor) VALUES ('a', 1, 'merge', '{}', $1::jsonb, 'bench')`, [arg]),
};
const t: Record<string, number[]> = {};
for (let k = 0; k < 600; k++) for (const [name, f] of Object.entries(variants)) { const s = performance.now(); await f(); if (k >= 100) (t[name] ??= []).push(performance.now() - s); }
for (const [name, v] of Object.entries(t)) { v.sort((a, b) => a - b); console.log(name.padEnd(14), 'p50', (v[v.length >> 1]! * 1000).toFixed(0), 'us'); }
await mf.shutdown();
