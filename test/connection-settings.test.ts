/**
 * Errors that say where to look (issue 11): DATABASE_URL is honoured by the library itself when no
 * connection is configured (and says so at info), a connection that fails is a typed ConnectionError
 * naming where the setting came from and what was tried, and a workflow function with no usable name
 * is refused before anything is opened.
 */
import path from 'node:path';
import { ConnectionError, MemFlow, ValidationError } from 'hotmesh';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveTarget } from '../src/storage/connection.js';
import { POSTGRES_URL, uniqueAppId } from './support/backend.js';

const saved = process.env.DATABASE_URL;
afterEach(() => {
  if (saved === undefined) delete process.env.DATABASE_URL;
  else process.env.DATABASE_URL = saved;
});

describe('connection settings', () => {
  it('takes DATABASE_URL when no connection and no dataDir is configured, and only then', () => {
    const env = { DATABASE_URL: 'postgres://someone@db.example:6543/app' };
    expect(resolveTarget(undefined, undefined, env)).toMatchObject({ embedded: false, source: 'DATABASE_URL', where: 'db.example:6543/app' });
    // the README form whose connectionString is unset counts as "no connection configured"
    expect(resolveTarget({ class: pg.Client, options: { connectionString: undefined } }, undefined, env)).toMatchObject({ source: 'DATABASE_URL' });
    expect(resolveTarget(undefined, 'memory://', env)).toMatchObject({ embedded: true, source: 'dataDir' });
    expect(resolveTarget({ connectionString: 'postgres://x@h:1/d' }, undefined, env)).toMatchObject({ source: 'connection', where: 'h:1/d' });
    expect(resolveTarget(undefined, undefined, {})).toMatchObject({ embedded: true });
    expect(() => resolveTarget(undefined, undefined, { DATABASE_URL: 'mysql://nope' })).toThrow(ValidationError);
    // HOTMESH_DATA_DIR names where the embedded database goes when DATABASE_URL is unset: it does not
    // win over DATABASE_URL (it did: both set, the embedded database was used)
    expect(resolveTarget(undefined, undefined, { ...env, HOTMESH_DATA_DIR: '/tmp/x' })).toMatchObject({ embedded: false, source: 'DATABASE_URL' });
    expect(resolveTarget(undefined, undefined, { HOTMESH_DATA_DIR: '/tmp/x' })).toMatchObject({ embedded: true, source: 'HOTMESH_DATA_DIR', where: '/tmp/x' });
    // an empty HOTMESH_DATA_DIR is unset, and an empty dataDir refused: each named the working
    // directory, which then filled with the database's files
    expect(resolveTarget(undefined, undefined, { HOTMESH_DATA_DIR: '' })).toMatchObject({ embedded: true, source: 'default', where: path.resolve('.hotmesh') });
    expect(() => resolveTarget(undefined, '', {})).toThrow(ValidationError);
  });

  it('runs MemFlow.init on PostgreSQL from DATABASE_URL and says so at info', async () => {
    process.env.DATABASE_URL = POSTGRES_URL;
    const entries: Array<{ msg?: string; obj: Record<string, unknown> }> = [];
    const logger = { debug() {}, warn() {}, error() {}, info: (obj: object, msg?: string) => entries.push({ msg, obj: obj as Record<string, unknown> }) };
    const mf = await MemFlow.init({ appId: uniqueAppId('dburl'), logger });
    // said once per database, not once per instance or app (a black-box pass: three times for three)
    const second = await MemFlow.init({ appId: uniqueAppId('dburl'), logger });
    try {
      const engine = await mf.client.engine(mf.appId);
      expect(engine.driver.kind).toBe('postgres');
      await second.client.engine(second.appId);
      await second.client.engine(mf.appId);
      expect(entries.filter((e) => e.msg === 'using PostgreSQL from DATABASE_URL')).toHaveLength(1);
    } finally {
      await second.shutdown();
      await mf.shutdown();
    }
  });

  it('names the setting, the address and what to check when the database cannot be reached', async () => {
    const refused = 'postgres://postgres@127.0.0.1:1/nowhere';
    const fromOption = MemFlow.init({ appId: uniqueAppId('unreachable'), engine: { connection: { class: pg.Client, options: { connectionString: refused } } } });
    await expect(fromOption).rejects.toBeInstanceOf(ConnectionError);
    await expect(fromOption).rejects.toMatchObject({ source: 'connection', where: '127.0.0.1:1/nowhere' });
    await expect(fromOption).rejects.toThrow(/Cannot connect to PostgreSQL at 127\.0\.0\.1:1\/nowhere \(from the connection option\): .*ECONNREFUSED.*Check that the server runs/);

    process.env.DATABASE_URL = refused;
    const fromEnv = MemFlow.init({ appId: uniqueAppId('unreachable') });
    await expect(fromEnv).rejects.toThrow(/\(from DATABASE_URL\).*unset it to use the embedded database/);
  });

  it('refuses a workflow function with no usable name before opening anything', async () => {
    const anonymous = [async () => 'x'][0]!; // an arrow in an array literal has no name
    expect(anonymous.name).toBe('');
    await expect(MemFlow.Worker.create({ connection: { dataDir: 'memory://' }, taskQueue: 'q', workflow: anonymous })).rejects.toThrow(
      /Invalid workflow function name/,
    );
  });
});
