/**
 * HOTMESH_PGLITE_TEMPLATE: a new embedded database (in memory, or a data directory with no cluster
 * yet) starts from a fresh cluster written once (writePgliteTemplate) instead of running initdb. The
 * suite's pglite project runs every new database this way; here the file's own rules: a database from
 * it is fresh and works, a directory that holds a cluster ignores it, and a file that is not a
 * template of this PGlite version is refused with an error naming the variable.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
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

describe('a new embedded database from a template', () => {
  let dir: string;
  let template: string;
  /** A template with a mark in it: a database that has the mark came from this file. */
  let marked: string;
  /** The template's bytes, and where its version stamp ends. */
  let bytes: Buffer;
  let stampEnd: number;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hotmesh-template-'));
    // the pglite project's own (its globalSetup wrote it with writePgliteTemplate), else one of its own
    template = process.env.HOTMESH_PGLITE_TEMPLATE || path.join(dir, 'fresh.bin');
    if (!process.env.HOTMESH_PGLITE_TEMPLATE) await writePgliteTemplate(template);
    bytes = fs.readFileSync(template);
    stampEnd = bytes.indexOf(10) + 1;
    const db = await PGlite.create({ loadDataDir: new Blob([bytes.subarray(stampEnd)]) });
    await db.exec(`CREATE TABLE public.template_mark (x int); INSERT INTO public.template_mark VALUES (42)`);
    const dump = Buffer.from(await (await db.dumpDataDir('none')).arrayBuffer());
    await db.close();
    marked = path.join(dir, 'marked.bin');
    fs.writeFileSync(marked, Buffer.concat([bytes.subarray(0, stampEnd), dump]));
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
    fs.writeFileSync(other, Buffer.concat([Buffer.from('hotmesh-pglite-template 0.0.1\n'), bytes.subarray(stampEnd)]));
    await expect(openPglite('memory://', other)).rejects.toThrow(new RegExp(`HOTMESH_PGLITE_TEMPLATE.*not a fresh cluster of PGlite ${PGLITE_VERSION.replace(/\./g, '\\.')}`));
    const plain = path.join(dir, 'plain.tar');
    fs.writeFileSync(plain, bytes.subarray(stampEnd));
    await expect(openPglite('memory://', plain)).rejects.toThrow(/HOTMESH_PGLITE_TEMPLATE/);
    await expect(openPglite('memory://', path.join(dir, 'missing.bin'))).rejects.toThrow(/HOTMESH_PGLITE_TEMPLATE names .*missing\.bin, which cannot be read/);
  }, 60_000);

  it('starts a new data directory on disk from it; a directory that holds a cluster ignores it', async () => {
    const dataDir = path.join(dir, 'on-disk');
    const driver = await openPglite(dataDir, marked);
    try {
      expect((await driver.query<{ x: number }>('SELECT x FROM public.template_mark')).rows).toEqual([{ x: 42 }]);
      await driver.query('INSERT INTO public.template_mark VALUES (43)');
    } finally {
      await driver.close();
    }
    // the cluster is there now: reopened (with any template, even one that cannot be read), it is the same
    const again = await openPglite(dataDir, path.join(dir, 'missing.bin'));
    try {
      expect((await again.query<{ x: number }>('SELECT x FROM public.template_mark ORDER BY x')).rows).toEqual([{ x: 42 }, { x: 43 }]);
    } finally {
      await again.close();
    }
  }, 60_000);
});
