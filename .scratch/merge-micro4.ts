import { MemFlow } from '../src/index.js';
const mf = await MemFlow.init({ appId: 'mm', dataDir: 'memory://' });
const engine = await mf.client.engine(mf.appId);
const d = engine.driver; const S = engine.sqlSchema;
const doc: Record<string, unknown> = { metrics: { count: 0 }, profile: { latest: { i: 0 } } };
for (let i = 0; JSON.stringify(doc).length < 8192; i++) (doc.profile as Record<string, string>)[`field${i}`] = 'x'.repeat(40);
await d.query(`CREATE TABLE bc (id text primary key, context jsonb)`); await d.query(`INSERT INTO bc VALUES ('a', $1::jsonb)`, [JSON.stringify(doc)]);
await d.exec(`
CREATE FUNCTION merge2(a jsonb, b jsonb) RETURNS jsonb LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE k text; v jsonb;
BEGIN
  IF a IS NULL OR jsonb_typeof(a) <> 'object' OR jsonb_typeof(b) <> 'object' THEN RETURN b; END IF;
  FOR k, v IN SELECT * FROM jsonb_each(b) LOOP
    IF jsonb_typeof(v) = 'object' AND jsonb_typeof(a -> k) = 'object' THEN
      a := jsonb_set(a, ARRAY[k], merge2(a -> k, v));
    ELSE
      a := jsonb_set(a, ARRAY[k], v, true);
    END IF;
  END LOOP;
  RETURN a;
END $$;
CREATE FUNCTION merge3(a jsonb, b jsonb) RETURNS jsonb LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  IF a IS NULL OR jsonb_typeof(a) <> 'object' OR jsonb_typeof(b) <> 'object' THEN RETURN b; END IF;
  RETURN a || coalesce((SELECT jsonb_object_agg(e.key, CASE WHEN jsonb_typeof(e.value) = 'object' AND jsonb_typeof(a -> e.key) = 'object' THEN merge3(a -> e.key, e.value) ELSE e.value END) FROM jsonb_each(b) e), '{}');
END $$;
CREATE FUNCTION merge4(a jsonb, b jsonb) RETURNS jsonb LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE r record;
BEGIN
  IF a IS NULL OR jsonb_typeof(a) <> 'object' OR jsonb_typeof(b) <> 'object' THEN RETURN b; END IF;
  FOR r IN WITH RECURSIVE walk(path, value, deeper) AS (
      SELECT ARRAY[e.key], e.value, jsonb_typeof(e.value) = 'object' AND jsonb_typeof(a -> e.key) = 'object' FROM jsonb_each(b) e
      UNION ALL
      SELECT w.path || e.key, e.value, jsonb_typeof(e.value) = 'object' AND jsonb_typeof(a #> (w.path || e.key)) = 'object'
        FROM walk w, jsonb_each(w.value) e WHERE w.deeper
    )
    SELECT w.path, w.value FROM walk w WHERE NOT w.deeper
  LOOP
    a := jsonb_set(a, r.path, r.value, true);
  END LOOP;
  RETURN a;
END $$;
`);
const arg = JSON.stringify({ profile: { latest: { i: 1 } } });
const check = async (f: string) => (await d.query<{ r: unknown }>(`SELECT ${f}($1::jsonb, $2::jsonb) AS r`, [JSON.stringify(doc), JSON.stringify({ profile: { latest: { j: 2 }, x: [1] }, n: { a: 1 } })])).rows[0]!.r;
console.log('same results:', JSON.stringify(await check(`${S}.context_merge`)) === JSON.stringify(await check('merge2')), JSON.stringify(await check(`${S}.context_merge`)) === JSON.stringify(await check('merge3')), JSON.stringify(await check(`${S}.context_merge`)) === JSON.stringify(await check('merge4')));
const variants: Record<string, () => Promise<unknown>> = {
  rawUpdate: () => d.named('raw', `UPDATE bc SET context = jsonb_set(context, '{profile,latest}', '{"i":1}') WHERE id = 'a'`, []),
  merge1: () => d.named('m1', `UPDATE bc SET context = ${S}.context_merge(context, $1::jsonb) WHERE id = 'a'`, [arg]),
  merge2: () => d.named('m2', `UPDATE bc SET context = merge2(context, $1::jsonb) WHERE id = 'a'`, [arg]),
  merge4: () => d.named('m4', `UPDATE bc SET context = merge4(context, $1::jsonb) WHERE id = 'a'`, [arg]),
  merge3: () => d.named('m3', `UPDATE bc SET context = merge3(context, $1::jsonb) WHERE id = 'a'`, [arg]),
};
const t: Record<string, number[]> = {};
for (let k = 0; k < 800; k++) for (const [name, f] of Object.entries(variants)) { const s = performance.now(); await f(); if (k >= 100) (t[name] ??= []).push(performance.now() - s); }
for (const [name, v] of Object.entries(t)) { v.sort((a, b) => a - b); console.log(name.padEnd(14), 'p50', (v[v.length >> 1]! * 1000).toFixed(0), 'us'); }
await mf.shutdown();
