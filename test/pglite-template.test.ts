/**
 * HOTMESH_PGLITE_TEMPLATE: an in-memory database starts from a fresh cluster written once
 * (writePgliteTemplate) instead of running initdb. The suite's pglite project runs every in-memory
 * database this way; here the file's own rules: a database from it is fresh and works, and a file that
 * is not a template of this PGlite version is refused with an error naming the variable.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MemFlow, type MemFlowInstance } from 'hotmesh';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPglite, PGLITE_VERSION, writePgliteTemplate } from '../src/storage/pglite/pglite-driver.js';
import { uniqueAppId } from './support/backend.js';

const acts = MemFlow.workflow.proxyActivities({
  activities: {
    async templateEchoBack(v: string) {
      return `${v}!`;
    },
  },
});

export async function templateEcho(x: string) {
  return acts.templateEchoBack(x);
}

describe('an in-memory database from a template', () => {
  let dir: string;
  let template: string;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hotmesh-template-'));
    template = path.join(dir, 'fresh.bin');
    await writePgliteTemplate(template);
  }, 60_000);
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('is a fresh cluster: no schema of an app, and it takes writes', async () => {
    const driver = await openPglite('memory://', template);
    try {
      const schemas = await driver.query<{ n: string }>(`SELECT count(*)::text AS n FROM pg_namespace WHERE nspname LIKE 'hotmesh%'`);
      expect(schemas.rows[0].n).toBe('0');
      await driver.query('CREATE TABLE t (x int)');
      await driver.query('INSERT INTO t VALUES (1), (2)');
      expect((await driver.query<{ s: number }>('SELECT sum(x)::int AS s FROM t')).rows[0].s).toBe(3);
    } finally {
      await driver.close();
    }
    // a second database from the same file does not see the first one's table
    const again = await openPglite('memory://', template);
    try {
      expect((await again.query(`SELECT 1 FROM pg_class WHERE relname = 't'`)).rowCount).toBe(0);
    } finally {
      await again.close();
    }
  }, 60_000);

  it('is what MemFlow opens for memory:// when HOTMESH_PGLITE_TEMPLATE names it, and runs workflows', async () => {
    // a template with a mark in it: the database MemFlow opens has the mark, so it came from this file
    const marked = path.join(dir, 'marked.bin');
    const { PGlite } = await import('@electric-sql/pglite');
    const db = await PGlite.create();
    await db.exec(`CREATE TABLE public.template_mark (x int); INSERT INTO public.template_mark VALUES (42)`);
    const dump = Buffer.from(await (await db.dumpDataDir('none')).arrayBuffer());
    await db.close();
    fs.writeFileSync(marked, Buffer.concat([fs.readFileSync(template).subarray(0, fs.readFileSync(template).indexOf(10) + 1), dump]));

    const before = process.env.HOTMESH_PGLITE_TEMPLATE;
    process.env.HOTMESH_PGLITE_TEMPLATE = marked;
    const appId = uniqueAppId('template');
    let mf: MemFlowInstance | undefined;
    try {
      mf = await MemFlow.init({ appId, engine: { connection: { dataDir: 'memory://' } }, logLevel: 'silent' });
      await mf.worker.create({ taskQueue: 'template', workflow: templateEcho });
      expect(await (await mf.workflow.start({ taskQueue: 'template', workflowName: 'templateEcho', args: ['hi'] })).result()).toBe('hi!');
      const driver = (await mf.client.engine(appId)).driver;
      expect((await driver.query<{ x: number }>('SELECT x FROM public.template_mark')).rows).toEqual([{ x: 42 }]);
    } finally {
      if (before === undefined) delete process.env.HOTMESH_PGLITE_TEMPLATE;
      else process.env.HOTMESH_PGLITE_TEMPLATE = before;
      await mf?.shutdown();
    }
  }, 60_000);

  it('refuses a file that is not a template of this PGlite version, naming the variable', async () => {
    const other = path.join(dir, 'other.bin');
    const fresh = fs.readFileSync(template);
    const stampEnd = fresh.indexOf(10) + 1;
    fs.writeFileSync(other, Buffer.concat([Buffer.from('hotmesh-pglite-template 0.0.1\n'), fresh.subarray(stampEnd)]));
    await expect(openPglite('memory://', other)).rejects.toThrow(new RegExp(`HOTMESH_PGLITE_TEMPLATE.*not a fresh cluster of PGlite ${PGLITE_VERSION.replace(/\./g, '\\.')}`));
    const plain = path.join(dir, 'plain.tar');
    fs.writeFileSync(plain, fresh.subarray(stampEnd));
    await expect(openPglite('memory://', plain)).rejects.toThrow(/HOTMESH_PGLITE_TEMPLATE/);
    await expect(openPglite('memory://', path.join(dir, 'missing.bin'))).rejects.toThrow(/HOTMESH_PGLITE_TEMPLATE names .*missing\.bin, which cannot be read/);
  }, 60_000);

  it('is not used for a data directory on disk', async () => {
    const dataDir = path.join(dir, 'on-disk');
    const driver = await openPglite(dataDir, path.join(dir, 'missing.bin'));
    try {
      expect(fs.existsSync(path.join(dataDir, 'PG_VERSION'))).toBe(true);
    } finally {
      await driver.close();
    }
  }, 60_000);
});
