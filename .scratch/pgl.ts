import { PGlite } from '@electric-sql/pglite';
const db = await PGlite.create();
const doc: Record<string, unknown> = { metrics: { count: 0 }, profile: {} };
for (let i = 0; JSON.stringify(doc).length < 8192; i++) (doc.profile as Record<string, string>)[`field${i}`] = 'x'.repeat(40);
const docJ = JSON.stringify(doc);
await db.query(`CREATE TABLE t (id int primary key, j jsonb)`); await db.query(`INSERT INTO t VALUES (1, $1)`, [docJ]);
async function time(label: string, f: () => Promise<unknown>, n = 500) {
  for (let i = 0; i < 50; i++) await f();
  const t = performance.now(); for (let i = 0; i < n; i++) await f();
  console.log(label.padEnd(40), ((performance.now() - t) / n * 1000).toFixed(0), 'us');
}
await time('select 1', () => db.query('SELECT 1'));
await time('select j (8k jsonb)', () => db.query('SELECT j FROM t WHERE id = 1'));
await time('select j::text (8k)', () => db.query('SELECT j::text FROM t WHERE id = 1'));
await time('select length(j::text)', () => db.query('SELECT length(j::text) FROM t WHERE id = 1'));
await time('param 8k in ::jsonb, count', () => db.query('SELECT length($1::jsonb::text)', [docJ]));
await time('JSON.parse 8k', async () => JSON.parse(docJ), 5000);
const db2 = await PGlite.create({ parsers: { 3802: (x: string) => JSON.parse(x), 114: (x: string) => JSON.parse(x) } });
await db2.query(`CREATE TABLE t (id int primary key, j jsonb)`); await db2.query(`INSERT INTO t VALUES (1, $1)`, [docJ]);
await time('custom parser: select j (8k jsonb)', () => db2.query('SELECT j FROM t WHERE id = 1'));
await time('custom parser: select j::text', () => db2.query('SELECT j::text FROM t WHERE id = 1'));
