/**
 * The schema's distribution invariant (issue 12, docs/scaling.md): every app table carries the job id,
 * and every statement on a workflow's path touches one job's rows, named by a parameter, so a
 * distributed PostgreSQL (Citus) could route it to one shard. src/sql/distribution.ts lists, for each
 * named query, the tables it reaches and the key it finds them by; this file checks that list against
 * the SQL as migrated: the tables each statement and the functions it calls actually name, the key
 * columns, the unique keys. A named query not in the list fails here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemFlow, type MemFlowInstance } from '../src/index.js';
import type { Engine } from '../src/engine/engine.js';
import { KEYS_WITHOUT_JOB, PLACEMENTS, TABLE_KEYS, TABLES_NOT_PER_JOB } from '../src/sql/distribution.js';
import { NAMED_QUERIES } from '../src/sql/queries/index.js';
import { reach } from '../src/sql/statement-tables.js';
import { testConnection, uniqueAppId } from './support/backend.js';

/** Parameters that hold a job id (a task id or anything else does not route by job). */
const JOB_ID_PARAMS = ['jobId', 'targetId', 'childId'];

describe('distribution keys', () => {
  let mf: MemFlowInstance;
  let engine: Engine;
  let tables: Set<string>;
  let bodies: Map<string, string>;
  beforeAll(async () => {
    mf = await MemFlow.init({ appId: uniqueAppId('dist-keys'), engine: { connection: testConnection() } });
    engine = await mf.client.engine(mf.appId);
    const t = await engine.driver.query<{ relname: string }>(
      `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind IN ('r', 'p')`,
      [engine.schema],
    );
    const f = await engine.driver.query<{ proname: string; prosrc: string }>(
      `SELECT p.proname, p.prosrc FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = $1`,
      [engine.schema],
    );
    tables = new Set(t.rows.map((r) => r.relname));
    // overloads (start_job_held with and without p_notify, migration 0047) count as one function: all their bodies
    bodies = new Map();
    for (const r of f.rows) bodies.set(r.proname, `${bodies.get(r.proname) ?? ''}\n${r.prosrc}`);
  }, 60_000);
  afterAll(() => mf.shutdown());

  it('every app table is listed with its key, and carries it', async () => {
    expect([...tables].sort()).toEqual(Object.keys(TABLE_KEYS).sort());
    for (const [table, key] of Object.entries(TABLE_KEYS)) {
      if (key === null) {
        expect(TABLES_NOT_PER_JOB[table], `${table}: a table without a job key needs its reason`).toBeTruthy();
        continue;
      }
      const col = await engine.driver.query(
        `SELECT 1 FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 AND column_name = $3`,
        [engine.schema, table, key],
      );
      expect(col.rows, `${table}.${key}`).toHaveLength(1);
    }
  });

  it("every unique key includes the table's job key, but for the listed surrogate ids", async () => {
    const res = await engine.driver.query<{ table: string; index: string; columns: string[] }>(
      `SELECT t.relname AS table, i.relname AS index,
              array(SELECT a.attname::text FROM unnest(x.indkey) k JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k) AS columns
         FROM pg_index x JOIN pg_class t ON t.oid = x.indrelid JOIN pg_class i ON i.oid = x.indexrelid
         JOIN pg_namespace n ON n.oid = t.relnamespace
        WHERE n.nspname = $1 AND x.indisunique`,
      [engine.schema],
    );
    const lacking = new Set<string>();
    for (const r of res.rows) {
      const key = TABLE_KEYS[r.table];
      if (key && !r.columns.includes(key)) lacking.add(r.table);
    }
    // exactly the listed ones: a new unique key without the job id fails, and so does a fixed one still listed
    expect([...lacking].sort()).toEqual(Object.keys(KEYS_WITHOUT_JOB).sort());
  });

  it('every named query is placed, and reaches exactly the tables its placement lists', () => {
    expect(Object.keys(PLACEMENTS).sort(), 'classify each named query in src/sql/distribution.ts').toEqual(Object.keys(NAMED_QUERIES).sort());
    const rows: string[] = [];
    for (const [name, query] of Object.entries(NAMED_QUERIES)) {
      const placement = PLACEMENTS[name as keyof typeof PLACEMENTS];
      const reached = reach(query.text, bodies, tables);
      expect([...reached.tables].sort(), `${name}: tables reached (functions: ${[...reached.functions].join(', ')})`).toEqual([...placement.tables].sort());
      const r = placement.routing;
      const key = r.route === 'job' ? r.key : r.route === 'jobs' ? r.keys.join('+') : r.route === 'group' ? `group of ${r.of.join('+')}` : r.route;
      rows.push(`${placement.hot ? '*' : ' '} ${name.padEnd(22)} ${key.padEnd(16)} ${[...reached.tables].sort().join(', ')}${placement.taskById ? '  [task by id]' : ''}`);
    }
    console.log(`named queries (* on a workflow's path), their job key and tables:\n${rows.join('\n')}`);
  });

  it('a job-routed query names the job by a parameter, and the task-by-id ones are marked', () => {
    for (const [name, query] of Object.entries(NAMED_QUERIES)) {
      const placement = PLACEMENTS[name as keyof typeof PLACEMENTS];
      const params: readonly string[] = query.params;
      const r = placement.routing;
      if (r.route === 'job') {
        expect(JOB_ID_PARAMS, `${name}: its key '${r.key}' holds a job id`).toContain(r.key);
        expect(params, `${name}: its key is a parameter`).toContain(r.key);
        for (const t of placement.tables) expect(TABLE_KEYS[t], `${name} touches ${t}, which has no job key`).toBeTruthy();
      }
      if (r.route === 'jobs') for (const k of r.keys) expect(params, `${name}: key ${k}`).toContain(k);
      if (r.route === 'group') {
        // a group is its single statements for several jobs: their tables, and each of them routes by job
        const singles = r.of.map((of) => PLACEMENTS[of]);
        const theirs = new Set(singles.flatMap((single) => single.tables));
        expect([...placement.tables].sort(), `${name}: the tables of ${r.of.join(', ')}`).toEqual([...theirs].sort());
        for (const [i, single] of singles.entries()) expect(['job', 'jobs'], `${name}: ${r.of[i]} is routed by job`).toContain(single.routing.route);
      }
      expect(Boolean(placement.taskById), `${name}: finds its task by id ⇔ takes task ids`).toBe(params.includes('taskId') || params.includes('ids'));
    }
  });

  it('on a workflow\'s path, only the claim spans jobs', () => {
    const spanning = Object.entries(PLACEMENTS)
      .filter(([, p]) => p.hot && (p.routing.route === 'spanning' || p.routing.route === 'task'))
      .map(([n]) => n);
    expect(spanning).toEqual(['claimTasks']);
  });
});
