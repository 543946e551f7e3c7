/**
 * `hotmesh dashboard` as a user runs it (the built bin, a subprocess) on both backends: it prints
 * its URL, serves the app's job list, refuses a non-loopback host without a token, and stops on
 * SIGTERM with exit code 0.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MemFlow } from 'hotmesh';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDashboard } from '../examples/dashboard.js';
import { backend, POSTGRES_URL, uniqueAppId } from './support/backend.js';
import { builtCli, errorLines, runCli } from './support/cli.js';

describe(`hotmesh dashboard (${backend})`, () => {
  const appId = uniqueAppId('dash-cli');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hotmesh-dash-cli-'));
  const where = backend === 'postgres' ? ['--url', POSTGRES_URL] : ['--data-dir', dataDir];

  beforeAll(async () => {
    const mf = await MemFlow.init({ appId, ...(backend === 'postgres' ? { connection: POSTGRES_URL } : { dataDir }) });
    await mf.workflow.start({ taskQueue: 'nobody', workflowName: 'idle', workflowId: `${appId}-job`, args: [] });
    await mf.shutdown(); // the bin opens the data directory next: one process at a time
    await builtCli();
  });
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('serves the app until SIGTERM, and prints where', async () => {
    const env: Record<string, string | undefined> = { ...process.env };
    delete env.DATABASE_URL;
    delete env.HOTMESH_DATA_DIR;
    const child = spawn(process.execPath, [await builtCli(), ...where, '--app', appId, '--json', 'dashboard', '--port', '0'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => {
          stdout += d.toString();
          const match = /"url": "([^"]+)"/.exec(stdout);
          if (match && stdout.trimEnd().endsWith('}')) resolve(match[1]!);
        });
        setTimeout(() => reject(new Error(`no URL printed: ${stdout} ${stderr}`)), 30_000).unref();
      });
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const res = await fetch(`${url}/api/apps/${appId}/jobs`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { page: { items: Array<{ workflowId: string }> } };
      expect(body.page.items.map((i) => i.workflowId)).toEqual([`${appId}-job`]);
      expect((await fetch(`${url}/apps/${appId}/jobs`)).status).toBe(200);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });

  it("serves through the README's openDashboard (examples/dashboard.ts)", async () => {
    const mf = await MemFlow.init({ appId, ...(backend === 'postgres' ? { connection: POSTGRES_URL } : { dataDir }) });
    try {
      const dashboard = await openDashboard(mf).catch(async (err: { code?: string }) => {
        // 7070 taken on this machine (another dashboard): the example's own port is not the point here
        if (err.code !== 'EADDRINUSE') throw err;
        return MemFlow.dashboard({ mf, port: 0 });
      });
      expect((await fetch(`${dashboard.url}/apps/${appId}/jobs`)).status).toBe(200);
      await dashboard.close();
    } finally {
      await mf.shutdown();
    }
  });

  it('refuses a non-loopback host without a token, before opening anything', async () => {
    const run = await runCli([...where, '--app', appId, 'dashboard', '--host', '0.0.0.0', '--port', '0']);
    expect(run.code).toBe(2);
    expect(errorLines(run).join('\n')).toMatch(/token.*required to bind '0\.0\.0\.0'/);
  });
});
