/**
 * `idPrefix` is a prefix, character for character, and an index serves it (migration 0066). The
 * filter became a LIKE pattern there: the prefix's own `%`, `_`, `!` (its escape) and `\` must match only themselves
 * (a property test over prefixes made of those characters), in list, counts and the bulk actions alike.
 * With 200k jobs whose ids mostly do not match, the plan reads the prefix's range of jobs_id_prefix,
 * on both backends (0022's starts_with read the whole table, or walked it in created_at order).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemFlow, type MemFlowInstance } from '../src/index.js';
import { testConnection, uniqueAppId } from './support/backend.js';

export async function prefixed(): Promise<string> {
  return 'ok';
}

/** Ids built from the characters a LIKE pattern treats specially, and plain ones. */
const ALPHABET = ['a', 'b', '%', '_', '\\', '!', '-'];

describe('idPrefix', () => {
  let mf: MemFlowInstance;
  const ids: string[] = [];
  beforeAll(async () => {
    mf = await MemFlow.init({ appId: uniqueAppId('idprefix'), engine: { connection: testConnection() } });
    await mf.worker.create({ taskQueue: 'pfx', workflow: prefixed });
    // every id of 1 to 3 characters from the alphabet, each with a suffix: 399 jobs
    const stems: string[] = [];
    const grow = (s: string) => {
      if (s.length > 0) stems.push(s);
      if (s.length < 3) for (const c of ALPHABET) grow(s + c);
    };
    grow('');
    for (const stem of stems) ids.push(`${stem}#`);
    for (const workflowId of ids) await mf.workflow.start({ taskQueue: 'pfx', workflowName: 'prefixed', workflowId });
  }, 120_000);
  afterAll(() => mf.shutdown());

  /** Every job of `prefix`, through list's pages. */
  async function listed(prefix: string): Promise<string[]> {
    const out: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await mf.workflow.list({ idPrefix: prefix, limit: 100, cursor });
      out.push(...page.items.map((i) => i.workflowId));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return out.sort();
  }

  it('matches the prefix character for character, %, _ and \\ included', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom(...ALPHABET), { minLength: 1, maxLength: 3 }), async (chars) => {
        const prefix = chars.join('');
        const expected = ids.filter((id) => id.startsWith(prefix)).sort();
        expect(await listed(prefix)).toEqual(expected);
        const counts = await mf.workflow.counts({ idPrefix: prefix });
        expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(expected.length);
      }),
      { numRuns: 40 },
    );
    // the cases a pattern would get wrong, by name
    expect(await listed('_')).toEqual(ids.filter((id) => id.startsWith('_')).sort());
    expect(await listed('%')).toEqual(ids.filter((id) => id.startsWith('%')).sort());
    expect(await listed('a\\')).toEqual(ids.filter((id) => id.startsWith('a\\')).sort());
    expect((await listed('a_')).every((id) => id.startsWith('a_'))).toBe(true);
  }, 120_000);

  it('reads the prefix range of an index, not the table, at 200k jobs', async () => {
    const engine = await mf.client.engine(mf.appId);
    const s = engine.sqlSchema;
    await engine.driver.query(
      `INSERT INTO ${s}.jobs (id, workflow_name, task_queue, status, created_at)
       SELECT 'zz-' || i, 'prefixed', 'pfx', 'completed', now() - make_interval(secs => i) FROM generate_series(1, 200000) AS i`,
    );
    try {
      await engine.driver.query(`ANALYZE ${s}.jobs`);
      // the function's statement as it builds it, with the prefix as the constant EXECUTE folds it to
      const filter = await engine.driver.query<{ w: string }>(`SELECT ${s}.job_filter(NULL, NULL, NULL, NULL, NULL, 'zz-1999', NULL, NULL, NULL) AS w`);
      const inner = await engine.driver.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN SELECT j.id FROM ${s}.jobs j${filter.rows[0]!.w.replaceAll('$6', `'zz-1999'`)} ORDER BY j.created_at DESC, j.id DESC LIMIT 50`,
      );
      const text = inner.rows.map((r) => r['QUERY PLAN']).join('\n');
      // the prefix's range of an index: jobs_id_prefix, or the primary key where the database's collation
      // is C (PGlite's), which orders ids byte by byte too; the planner may take either (a full run once
      // saw PGlite take the key)
      expect(text, text).toMatch(/Index (Only )?Scan using (jobs_id_prefix|jobs_pkey)/);
      expect(text, text).toMatch(/id (~>=~|>=) 'zz-1999'::text\) AND \(id (~<~|<) 'zz-199:'::text/);
      expect(text, text).not.toMatch(/Seq Scan/);
      const t0 = performance.now();
      const page = await mf.workflow.list({ idPrefix: 'zz-1999', limit: 50 });
      console.log(`idPrefix at 200k jobs: ${(performance.now() - t0).toFixed(1)} ms`);
      // zz-1999, zz-19990..19999 and zz-199900..199999 match (111): the newest 50, the shortest ids first
      const listedIds = page.items.map((i) => i.workflowId);
      expect(listedIds).toHaveLength(50);
      expect(listedIds.slice(0, 11)).toEqual(['zz-1999', ...Array.from({ length: 10 }, (_, k) => `zz-1999${k}`)]);
      expect(listedIds.every((id) => id.startsWith('zz-1999'))).toBe(true);
      expect(Object.values(await mf.workflow.counts({ idPrefix: 'zz-1999' })).reduce((a, b) => a + b, 0)).toBe(111);
    } finally {
      await engine.driver.query(`DELETE FROM ${s}.jobs WHERE id LIKE 'zz-%'`);
    }
  }, 120_000);
});
