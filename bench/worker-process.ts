/**
 * A worker process for the `procs` section: serves the bench's 1-step workflow on one task queue of
 * one app, on PostgreSQL, until told to stop. `tsx bench/worker-process.ts <appId> <url> <taskQueue>`.
 */
import pg from 'pg';
import { MemFlow } from '../src/index.js';
import { benchOneStep } from './workflows.js';

const [appId, url, taskQueue] = process.argv.slice(2);
if (!appId || !url || !taskQueue) throw new Error('usage: worker-process.ts <appId> <url> <taskQueue>');
const mf = await MemFlow.init({ appId, engine: { connection: { class: pg.Client, options: { connectionString: url } } }, logLevel: 'warn' });
await mf.worker.create({ taskQueue, workflow: benchOneStep });
process.on('message', (message) => {
  if (message === 'stop') void mf.shutdown().then(() => process.exit(0));
});
process.send?.({ ready: true, cpu: process.cpuUsage() });
