/**
 * `hotmesh … | head -1`: when the reader closes the pipe, the CLI stops quietly with its exit code
 * (a black-box pass: an unhandled EPIPE printed its stack). The output must outgrow the pipe's buffer
 * for the write to fail, so the export is of a job with 1.5 MB of arguments. PostgreSQL only, as the
 * other CLI runs against a live database (vitest.config.ts).
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemFlow, type MemFlowInstance } from '../src/index.js';
import { POSTGRES_URL, testConnection, uniqueAppId } from './support/backend.js';
import { builtCli } from './support/cli.js';

describe('the CLI when its reader goes away', () => {
  let mf: MemFlowInstance;
  let workflowId: string;
  beforeAll(async () => {
    mf = await MemFlow.init({ appId: uniqueAppId('cli-epipe'), engine: { connection: testConnection() } });
    // no worker: the job only has to exist, with an export far larger than a pipe holds
    const handle = await mf.workflow.start({ taskQueue: 'pipe', workflowName: 'large', args: ['x'.repeat(1_500_000)] });
    workflowId = handle.workflowId;
  }, 60_000);
  afterAll(() => mf.shutdown());

  it('stops quietly once the pipe is closed, with no EPIPE stack', async () => {
    const bin = await builtCli();
    const child = spawn(process.execPath, [bin, '--url', POSTGRES_URL, '--app', mf.appId, 'export', workflowId], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    // read the first chunk, then hang up, as `head -c 100` does
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    child.stdout.destroy();
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(stderr).not.toMatch(/EPIPE|Error|at /);
    expect(code).toBe(0);
  }, 60_000);
});
