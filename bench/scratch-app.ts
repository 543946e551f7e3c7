/**
 * A scratch app for a section that fills tables (a backlog, a million finished jobs, ten thousand
 * timers): its own appId and schema on the same backend, so the run's app stays as it was, and
 * cleaned up after, whatever happens.
 */
import { randomBytes } from 'node:crypto';
import type { Engine } from '../src/engine/engine.js';
import { MemFlow, type MemFlowInstance } from '../src/index.js';
import type { Driver } from '../src/storage/driver.js';
import { quoteIdentifier, REGISTRY_SCHEMA, schemaForApp } from '../src/storage/sql-identifier.js';
import type { BenchContext } from './section.js';

export interface ScratchApp {
  appId: string;
  /** The schema, unquoted. */
  schema: string;
  mf: MemFlowInstance;
  engine: Engine;
}

/**
 * Run a fill script in `app`'s database with no deadline: a million rows take longer than the
 * driver's 30 s statement timeout on a slow machine (the scale section failed so), and a fill is
 * not a hot statement.
 */
export function fillScript(app: ScratchApp): (sql: string) => Promise<void> {
  return (sql) => app.engine.driver.transaction((tx) => tx.exec(sql));
}

export async function withScratchApp<T>(ctx: BenchContext, prefix: string, body: (app: ScratchApp) => Promise<T>, options: { concurrency?: number } = {}): Promise<T> {
  const appId = `${prefix}-${randomBytes(3).toString('hex')}`;
  const schema = schemaForApp(appId);
  // PGlite: the run's own instance (one in-process database); a second app is a second schema in it
  const mf = await MemFlow.init({ appId, engine: { connection: ctx.backend.connection() }, worker: { concurrency: options.concurrency } });
  try {
    const engine = await mf.client.engine(appId);
    return await body({ appId, schema, mf, engine });
  } finally {
    await mf.shutdown();
    const cleanup =
      ctx.backend.id === 'pglite'
        ? dropInstance(ctx.engine.driver, schema, appId) // the run's instance is still open
        : ctx.backend.cleanup(schema, appId);
    await cleanup.catch((err) => process.stderr.write(`  cleanup of ${schema} failed: ${err}\n`));
  }
}

async function dropInstance(driver: Driver, schema: string, appId: string): Promise<void> {
  await driver.query(`DROP SCHEMA IF EXISTS ${quoteIdentifier(schema)} CASCADE`);
  await driver.query(`DELETE FROM ${REGISTRY_SCHEMA}.migrations WHERE schema_name = $1`, [schema]);
  await driver.query(`DELETE FROM ${REGISTRY_SCHEMA}.apps WHERE app_id = $1`, [appId]);
}
