/** The README's logging sample: a pino logger for one MemFlow.init instance. */
import { MemFlow } from 'hotmesh';
import { Client as Postgres } from 'pg';
import pino from 'pino';

export async function initWithPino() {
  const mf = await MemFlow.init({
    appId: 'my-app',
    logger: pino(),
    logLevel: 'info',
    engine: { connection: { class: Postgres, options: { connectionString: process.env.DATABASE_URL } } },
  });
  return mf;
}
