/**
 * The dashboard in a real browser (Chromium through playwright-core), on both backends: the README
 * hooks example, verbatim, runs while the dashboard watches, then every page and action is checked
 * against what the API says. One browser and one page for the whole file.
 */
import { mkdirSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { MemFlow, type MemFlowInstance, type WorkflowHandle } from 'hotmesh';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorker } from '../examples/hooks-and-context.js';
import { diffJson } from '../src/dashboard/json-diff.js';
import { backend, POSTGRES_URL, testConnection } from './support/backend.js';
import { launchChromium } from './support/browser.js';
import { untilWaiting } from './support/job-state.js';

const XSS = '<img src=x onerror=alert(1)>';
const TOKEN = 'dashboard-token-0123456789';
/**
 * How long a page may take to show what the test waits for: a browser round trip, a server action and
 * a database statement, on a loaded 2-core CI machine (expect.poll's own default is 1 s).
 */
const UI_MS = 10_000;
/** HOTMESH_SCREENSHOTS=docs/screenshots writes the README's pictures; otherwise they go to a temp dir. */
const SHOTS = process.env.HOTMESH_SCREENSHOTS ?? path.join(os.tmpdir(), `hotmesh-dashboard-shots-${backend}`);

async function approval(kind: string): Promise<unknown> {
  const ctx = await MemFlow.workflow.context();
  await ctx.set({ kind, note: XSS, [XSS]: 'key' });
  return MemFlow.workflow.waitFor<unknown>('approve');
}

describe(`dashboard (${backend})`, () => {
  const run = randomBytes(4).toString('hex');
  let mf: MemFlowInstance;
  let dashboard: { url: string; close(): Promise<void> };
  let browser: Browser;
  let page: Page;
  let hooks: WorkflowHandle;
  const dialogs: string[] = [];

  beforeAll(async () => {
    if (backend === 'postgres') process.env.DATABASE_URL = POSTGRES_URL;
    else {
      delete process.env.DATABASE_URL;
      process.env.HOTMESH_DATA_DIR = 'memory://';
    }
    await startWorker(); // the README's workers, appId 'my-app'
    mf = await MemFlow.init({ appId: 'my-app', engine: { connection: testConnection() } });
    await mf.worker.create({ taskQueue: `approvals-${run}`, workflow: approval });
    dashboard = await MemFlow.dashboard({ mf, port: 0 });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('dialog', (d) => {
      dialogs.push(`${d.type()}: ${d.message()}`);
      void (d.type() === 'confirm' ? d.accept() : d.dismiss());
    });
    mkdirSync(SHOTS, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await dashboard?.close();
    await MemFlow.shutdown();
  });

  // A list that is not live never shows the row without a reload. The bound is not a latency target: the
  // server polls every second (docs/dashboard.md), then the page refetches, all on a loaded CI machine.
  it('lists the README hooks job within 10 s of its start, live (no reload)', async () => {
    await page.goto(`${dashboard.url}/apps/my-app/jobs?prefix=dash-${run}`);
    await expect.poll(() => page.locator('#live-state').textContent(), { timeout: UI_MS }).toBe('live');
    const started = Date.now();
    hooks = await mf.workflow.start({ workflowName: 'example', args: ['Jane'], taskQueue: 'contextual', workflowId: `dash-${run}-hooks` });
    await page.locator(`#jobs tr[data-id="dash-${run}-hooks"]`).waitFor({ timeout: UI_MS });
    const shownAfter = Date.now() - started;
    console.log(`dashboard (${backend}): the started job's row appeared ${shownAfter} ms after the start`);
    expect(shownAfter).toBeLessThan(UI_MS);
    await hooks.result();
    await expect.poll(() => page.locator(`#jobs tr[data-id="dash-${run}-hooks"] .status`).textContent(), { timeout: UI_MS }).toBe('completed');
    // the counts are cached for ten times what counting took (client-source.ts), so under load they can
    // trail the rows by seconds (a full-suite run read 0 here)
    await expect.poll(async () => Number(await page.locator('[data-count="completed"]').textContent()), { timeout: 15_000 }).toBeGreaterThanOrEqual(1);
    await page.screenshot({ path: path.join(SHOTS, 'job-list.png'), fullPage: true });
  });

  it('shows the two hooks on the job page timeline, each in its own lane', async () => {
    await page.goto(`${dashboard.url}/apps/my-app/jobs/${encodeURIComponent(hooks.workflowId)}`);
    expect(await page.locator('#job-status').textContent()).toBe('completed');
    const hookBars = page.locator('#timeline g.bar[data-kind="hook"]');
    expect(await hookBars.evaluateAll((bars) => bars.map((b) => b.getAttribute('data-name')).sort())).toEqual(['hook1', 'hook2']);
    const lanes = await page.locator('#timeline g.lane').evaluateAll((ls) => ls.map((l) => l.getAttribute('data-thread')));
    expect(lanes).toHaveLength(3); // main and the two hook threads, side by side
    expect(await page.locator('#hooks tbody tr').count()).toBe(2);
    await page.screenshot({ path: path.join(SHOTS, 'job-page.png'), fullPage: true });
  });

  it('shows exactly context_at(job, 2) at version 2 of the slider, and the merged keys between versions 1 and 3', async () => {
    await page.goto(`${dashboard.url}/apps/my-app/jobs/${encodeURIComponent(hooks.workflowId)}/memory`);
    await page.locator('#version-slider').fill('2');
    await page.locator('#context-json[data-version-shown="2"]').waitFor({ state: 'attached' });
    const memory = hooks.context();
    expect(JSON.parse((await page.locator('#context-json').textContent())!)).toEqual(await memory.at(2));

    await page.locator('#diff-form input[name="from"]').fill('1');
    await page.locator('#diff-form input[name="to"]').fill('3');
    await page.locator('#diff-form button').click();
    await page.locator('#diff-form[data-shown="1-3"]').waitFor({ state: 'attached' });
    const paths = await page.locator('#diff tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-path')));
    const expected = diffJson(await memory.at(1), await memory.at(3)).map((c) => c.path.join('.'));
    expect(paths).toEqual(expected);
    expect(paths).toEqual(expect.arrayContaining(['hooks.r1', 'hooks.r2']));
    await page.locator('#version-slider').fill('4');
    await page.locator('#context-json[data-version-shown="4"]').waitFor({ state: 'attached' });
    await page.screenshot({ path: path.join(SHOTS, 'memory-page.png'), fullPage: true });
  });

  it('filters the change log by path', async () => {
    await page.goto(`${dashboard.url}/apps/my-app/jobs/${encodeURIComponent(hooks.workflowId)}/memory?path=metrics`);
    const rows = await page.locator('#change-log tbody tr td:nth-child(3)').allTextContents();
    expect(rows).toEqual(['metrics.count']);
  });

  it('sends a signal from the page, and the waiting workflow completes with its payload', async () => {
    const handle = await mf.workflow.start({ workflowName: 'approval', taskQueue: `approvals-${run}`, args: ['invoice'], workflowId: `dash-${run}-approval` });
    const engine = await mf.client.engine('my-app');
    await untilWaiting(engine, handle.workflowId, 'approve');
    await page.goto(`${dashboard.url}/apps/my-app/jobs/${encodeURIComponent(handle.workflowId)}`);
    expect(await page.locator('#waiting-for').textContent()).toContain('approve');
    const form = page.locator('form[data-action="signal"]');
    await form.locator('input[name="signalId"]').fill('approve');
    await form.locator('textarea[name="payload"]').fill('{"approved": true, "by": "dashboard"}');
    await form.locator('button').click();
    await expect.poll(() => form.locator('output').textContent(), { timeout: UI_MS }).toBe("signal 'approve' sent");
    expect(dialogs.some((d) => d.startsWith('confirm:') && d.includes(handle.workflowId))).toBe(true);
    expect(await handle.result()).toEqual({ approved: true, by: 'dashboard' });
  });

  it('forks a job from the page, and shows a refused cancel of a finished one as a message', async () => {
    await page.goto(`${dashboard.url}/apps/my-app/jobs/${encodeURIComponent(hooks.workflowId)}`);
    const fork = page.locator('form[data-action="fork"]');
    await fork.locator('button').click();
    await expect.poll(() => fork.locator('output').textContent(), { timeout: UI_MS }).toMatch(/^forked as \S+/);
    const forkedId = (await fork.locator('output a').textContent())!;
    expect(await (await mf.workflow.getHandle('contextual', 'example', forkedId)).context().get()).toEqual(await hooks.context().get());
    const cancel = page.locator('form[data-action="cancel"]');
    await cancel.locator('button').click();
    await expect.poll(() => cancel.locator('output').getAttribute('class'), { timeout: UI_MS }).toBe('result failed');
    expect(await cancel.locator('output').textContent()).toMatch(/completed/);
  });

  it('refuses a payload that is not JSON, with a message', async () => {
    const form = page.locator('form[data-action="signal"]');
    await form.locator('input[name="signalId"]').fill('approve');
    await form.locator('textarea[name="payload"]').fill('{not json');
    await form.locator('button').click();
    await expect.poll(() => form.locator('output').textContent(), { timeout: UI_MS }).toBe('Invalid payload: is not valid JSON');
  });

  it('renders a context value and key <img src=x onerror=alert(1)> as text', async () => {
    const before = dialogs.filter((d) => d.startsWith('alert')).length;
    await page.goto(`${dashboard.url}/apps/my-app/jobs/${encodeURIComponent(`dash-${run}-approval`)}/memory`);
    const tree = page.locator('#context-tree');
    expect(await tree.textContent()).toContain(XSS);
    expect(await page.locator('main img').count()).toBe(0);
    expect(await page.locator('#change-log').textContent()).toContain(JSON.stringify({ kind: 'invoice', note: XSS, [XSS]: 'key' }).slice(0, 60));
    await page.goto(`${dashboard.url}/apps/my-app/jobs/${encodeURIComponent(`dash-${run}-approval`)}`);
    expect(await page.locator('main img').count()).toBe(0);
    expect(dialogs.filter((d) => d.startsWith('alert')).length).toBe(before);
  });

  it('read-only: no action on the page, and the server refuses the POSTs', async () => {
    const handle = await mf.workflow.start({ workflowName: 'approval', taskQueue: `approvals-${run}`, args: ['ro'], workflowId: `dash-${run}-ro` });
    await untilWaiting(await mf.client.engine('my-app'), handle.workflowId, 'approve');
    const readOnly = await MemFlow.dashboard({ mf, port: 0, readOnly: true });
    try {
      await page.goto(`${readOnly.url}/apps/my-app/jobs/${encodeURIComponent(handle.workflowId)}`);
      expect(await page.locator('#actions, form.action, [data-action]').count()).toBe(0);
      const statuses = await page.evaluate(async (id) => {
        const out: number[] = [];
        for (const action of ['signal', 'hook', 'cancel', 'terminate', 'resume', 'retry', 'fork']) {
          const res = await fetch(`/api/apps/my-app/jobs/${encodeURIComponent(id)}/actions/${action}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ signalId: 'approve', payload: '1' }),
          });
          out.push(res.status);
        }
        return out;
      }, handle.workflowId);
      expect(statuses).toEqual([403, 403, 403, 403, 403, 403, 403]);
      expect((await handle.state()).done).toBe(false);
      await handle.signal('approve', 'from the test');
      expect(await handle.result()).toBe('from the test');
    } finally {
      await readOnly.close();
    }
  });

  it('refuses a POST from another origin', async () => {
    const res = await fetch(`${dashboard.url}/api/apps/my-app/jobs/${encodeURIComponent(hooks.workflowId)}/actions/terminate`, {
      method: 'POST',
      headers: { origin: 'http://evil.example', 'content-type': 'application/json' },
      body: '{}',
    });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: string }).error).toMatch(/same origin/);
    // fetch() will not set Host: a page of another site whose name was rebound to 127.0.0.1 sends its own
    const rebound = await new Promise<number>((resolve, reject) => {
      http.get(`${dashboard.url}/`, { headers: { host: 'evil.example:7070' } }, (r) => resolve(r.statusCode ?? 0)).on('error', reject);
    });
    expect(rebound).toBe(403);
  });

  it('without the token, a non-loopback dashboard refuses every request; the token or the login opens it', async () => {
    const open = await MemFlow.dashboard({ mf, port: 0, host: '0.0.0.0', token: TOKEN });
    const base = open.url.replace('0.0.0.0', '127.0.0.1');
    try {
      const id = `dash-${run}-any`;
      const refused = await Promise.all(
        ['/', '/apps/my-app/jobs', `/apps/my-app/jobs/${id}`, `/apps/my-app/jobs/${id}/memory`, '/api/apps/my-app/jobs', `/api/apps/my-app/jobs/${id}/context?version=1`, '/api/apps/my-app/events', '/assets/dashboard.js'].map(
          async (p) => (await fetch(`${base}${p}`)).status,
        ),
      );
      expect(refused.every((s) => s === 401)).toBe(true);
      const post = await fetch(`${base}/api/apps/my-app/jobs/${id}/actions/terminate`, { method: 'POST', body: '{}' });
      expect(post.status).toBe(401);
      const wrong = await fetch(`${base}/api/apps/my-app/jobs`, { headers: { authorization: `Bearer ${TOKEN}x` } });
      expect(wrong.status).toBe(401);
      const right = await fetch(`${base}/api/apps/my-app/jobs`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(right.status).toBe(200);
      expect(((await right.json()) as { page: { items: unknown[] } }).page.items).toBeInstanceOf(Array);

      await page.goto(`${base}/`);
      await page.locator('input[name="token"]').fill(TOKEN);
      await page.locator('button[type="submit"]').click();
      await page.locator('#apps').waitFor({ timeout: UI_MS });
      expect(await page.locator('#apps').textContent()).toContain('my-app');
    } finally {
      await open.close();
    }
  });

  // opening an app migrates it: a GET of /apps/typo/jobs, read-only dashboard or not, created the app
  it('answers an app the database does not have with 404, and creates no schema for it', async () => {
    const typo = `typo-app-${run}`;
    for (const path of [`/apps/${typo}/jobs`, `/api/apps/${typo}/jobs`, `/api/apps/${typo}/events`, `/apps/${typo}/jobs/some-id`]) {
      const res = await fetch(`${dashboard.url}${path}`);
      expect(res.status, path).toBe(404);
      expect(await res.text(), path).toMatch(new RegExp(`No app (&#39;|')${typo}`));
    }
    expect(await mf.client.workflow.apps()).not.toContain(typo);
  });

  it('answers an unknown job with 404 and a message, never a stack', async () => {
    const res = await fetch(`${dashboard.url}/apps/my-app/jobs/no-such-job-${run}`);
    expect(res.status).toBe(404);
    const body = await res.text();
    expect(body).toContain('no-such-job');
    expect(body).not.toMatch(/\bat .*\.(ts|js):\d+/);
  });
});
