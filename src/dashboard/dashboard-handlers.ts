/**
 * The dashboard's routes: pages (HTML), their JSON, the live-update stream and the actions. Every
 * handler reads and acts through the DashboardSource.
 */
import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { ValidationError } from '../errors.js';
import { validateAppId } from '../storage/sql-identifier.js';
import { validateId } from '../validation.js';
import { isActionName, parseActionBody } from './action-input.js';
import type { DashboardSource } from './dashboard-source.js';
import { diffJson } from './json-diff.js';
import { listOptionsFrom } from './list-query.js';
import { appsPage } from './pages/apps-page.js';
import { jobPage } from './pages/job-page.js';
import { jobsPage } from './pages/jobs-page.js';
import { memoryPage } from './pages/memory-page.js';
import { readBody } from './request-body.js';
import { sameOrigin } from './request-guard.js';
import { type RouteContext, Routes } from './routes.js';

/** Refused: a read-only dashboard, or a POST from another origin. */
export class RefusedError extends Error {}

const ASSETS: Record<string, { file: string; type: string }> = {
  'dashboard.js': { file: 'dashboard.js', type: 'text/javascript; charset=utf-8' },
  'dashboard.css': { file: 'dashboard.css', type: 'text/css; charset=utf-8' },
};
const ASSET_DIR = new URL('./assets/', import.meta.url);

/** Read once per process: the assets ship in the package beside this module. */
const assetCache = new Map<string, Buffer>();
function asset(file: string): Buffer {
  let body = assetCache.get(file);
  if (!body) assetCache.set(file, (body = readFileSync(new URL(file, ASSET_DIR))));
  return body;
}

export function sendHtml(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' }).end(body);
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
}

function versionParam(url: URL, name: string): number {
  const v = url.searchParams.get(name);
  if (v === null || !/^\d{1,12}$/.test(v)) throw new ValidationError(name, 'must be a non-negative integer');
  return Number(v);
}

export function dashboardRoutes(source: DashboardSource, readOnly: boolean): Routes {
  const app = (ctx: RouteContext) => validateAppId(ctx.params.app);
  const id = (ctx: RouteContext) => validateId('workflowId', ctx.params.id);

  const listData = async (ctx: RouteContext) => {
    const options = listOptionsFrom(ctx.url.searchParams);
    const { cursor: _c, limit: _l, ...filter } = options;
    const [page, counts] = await Promise.all([source.list(app(ctx), options), source.counts(app(ctx), filter)]);
    return { options, page, counts };
  };

  return new Routes()
    .add('GET', '/assets/:name', async ({ res, params }) => {
      const a = ASSETS[params.name!];
      if (!a) return sendJson(res, 404, { error: 'no such asset' });
      res.writeHead(200, { 'content-type': a.type, 'cache-control': 'no-cache' }).end(asset(a.file));
    })
    .add('GET', '/', async ({ res }) => sendHtml(res, 200, appsPage(await source.apps(), readOnly)))
    .add('GET', '/apps/:app/jobs', async (ctx) => {
      const data = await listData(ctx);
      sendHtml(ctx.res, 200, jobsPage({ appId: app(ctx), query: ctx.url.searchParams.toString(), ...data }, readOnly));
    })
    .add('GET', '/apps/:app/jobs/:id', async (ctx) => {
      const [d, history] = await Promise.all([source.describe(app(ctx), id(ctx)), source.history(app(ctx), id(ctx))]);
      sendHtml(ctx.res, 200, jobPage(app(ctx), d, history, readOnly));
    })
    .add('GET', '/apps/:app/jobs/:id/memory', async (ctx) => {
      const [{ value, version }, log] = await Promise.all([source.context(app(ctx), id(ctx)), source.contextLog(app(ctx), id(ctx))]);
      const pathFilter = ctx.url.searchParams.get('path') ?? '';
      sendHtml(ctx.res, 200, memoryPage({ appId: app(ctx), workflowId: id(ctx), value, version, log, pathFilter }, readOnly));
    })
    .add('GET', '/api/apps/:app/jobs', async (ctx) => {
      const { page, counts } = await listData(ctx);
      sendJson(ctx.res, 200, { page, counts });
    })
    .add('GET', '/api/apps/:app/jobs/:id/context', async (ctx) => {
      const version = versionParam(ctx.url, 'version');
      sendJson(ctx.res, 200, { version, value: await source.contextAt(app(ctx), id(ctx), version) });
    })
    .add('GET', '/api/apps/:app/jobs/:id/diff', async (ctx) => {
      const from = versionParam(ctx.url, 'from');
      const to = versionParam(ctx.url, 'to');
      const [a, b] = await Promise.all([source.contextAt(app(ctx), id(ctx), from), source.contextAt(app(ctx), id(ctx), to)]);
      sendJson(ctx.res, 200, { from, to, changes: diffJson(a, b) });
    })
    .add('GET', '/api/apps/:app/events', async (ctx) => {
      const { req, res } = ctx;
      const stop = await source.watch(app(ctx), () => res.write('event: change\ndata: {}\n\n'));
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
      res.write('retry: 2000\n\n');
      const beat = setInterval(() => res.write(': keep-alive\n\n'), 20_000);
      req.on('close', () => {
        clearInterval(beat);
        stop();
      });
    })
    .add('POST', '/api/apps/:app/jobs/:id/actions/:action', async (ctx) => {
      if (readOnly) throw new RefusedError('this dashboard is read-only');
      if (!sameOrigin(ctx.req)) throw new RefusedError('actions must come from the dashboard itself (same origin)');
      const action = ctx.params.action!;
      if (!isActionName(action)) throw new ValidationError('action', `unknown action '${action}'`);
      const input = parseActionBody(action, await readBody(ctx.req));
      sendJson(ctx.res, 200, await source.act(app(ctx), id(ctx), input));
    });
}
