/**
 * One backend's run: a fresh app (unique appId), its workers, every selected section in order, then
 * MemFlow shutdown and cleanup. A section that throws is reported and the run goes on.
 */
import { randomBytes } from 'node:crypto';
import { MemFlow } from '../src/index.js';
import { schemaForApp } from '../src/storage/sql-identifier.js';
import type { Backend } from './backends.js';
import type { SectionResult } from './report.js';
import type { BenchContext, Section } from './section.js';
import { registerWorkers } from './workflows.js';

export interface BackendRun {
  appId: string;
  results: SectionResult[];
  metrics: Map<string, number>;
}

export async function runBackend(backend: Backend, sections: Section[], scale: number): Promise<BackendRun> {
  const appId = `bench-${randomBytes(4).toString('hex')}`;
  const schema = schemaForApp(appId);
  const mf = await MemFlow.init({ appId, engine: { connection: backend.connection() } });
  const metrics = new Map<string, number>();
  const results: SectionResult[] = [];
  try {
    const engine = await mf.client.engine(appId);
    const raw = await backend.openRaw(engine);
    try {
      const ctx: BenchContext = { backend, appId, schema, mf, engine, raw, taskQueue: 'bench', metrics, scale };
      await registerWorkers(ctx);
      for (const section of sections) {
        process.stderr.write(`  [${backend.id}] ${section.title} ...\n`);
        try {
          results.push({ section, rows: await section.run(ctx) });
        } catch (error) {
          results.push({ section, rows: [], error });
        }
      }
    } finally {
      await raw.close();
    }
  } finally {
    await mf.shutdown();
    await backend.cleanup(schema, appId).catch((err) => process.stderr.write(`  cleanup of ${schema} failed: ${err}\n`));
  }
  return { appId, results, metrics };
}
