/**
 * `MemFlow.dashboard(options)`: a small HTTP server (Node's own `http`) over a DashboardSource.
 * Every request passes the guard first (Host, then the token); errors reach the browser as a status
 * and a message, and their stacks reach only the logger.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isHotMeshError } from '../errors.js';
import { Client } from '../memflow/client.js';
import { processRuntime, Runtime } from '../runtime/runtime.js';
import { errField, type Logger, runtimeLogger } from '../telemetry/logger.js';
import { ClientSource } from './client-source.js';
import { dashboardRoutes, RefusedError, sendHtml, sendJson } from './dashboard-handlers.js';
import { type DashboardOptions, type ResolvedDashboardOptions, resolveDashboardOptions } from './dashboard-options.js';
import type { DashboardSource } from './dashboard-source.js';
import { errorPage } from './pages/error-page.js';
import { loginPage } from './pages/login-page.js';
import { readBody } from './request-body.js';
import { constantTimeEquals, hasToken, hostAllowed, SESSION_COOKIE, sameOrigin, sessionValue } from './request-guard.js';

export type { DashboardOptions } from './dashboard-options.js';

export interface DashboardHandle {
  /** Where it listens, e.g. `http://127.0.0.1:7070`. */
  readonly url: string;
  /** Stop listening, end live streams, and close what the dashboard opened itself. */
  close(): Promise<void>;
}

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  // same-origin, not no-referrer: with no-referrer Chromium sends `Origin: null` on form POSTs
  'referrer-policy': 'same-origin',
  'cache-control': 'no-store',
};

/** The status an error answers with; its message is what the browser sees. */
function statusOf(err: unknown): number {
  if (err instanceof RefusedError) return 403;
  if (isHotMeshError(err, 'PayloadTooLargeError')) return 413; // a ValidationError too: before the 400
  if (isHotMeshError(err, 'ValidationError')) return 400;
  if (isHotMeshError(err, 'JobNotFoundError') || isHotMeshError(err, 'AppNotFoundError')) return 404;
  if (isHotMeshError(err, 'AppMigrationsPendingError') || isHotMeshError(err, 'AppSchemaConflictError')) return 409;
  if (isHotMeshError(err, 'JobFinishedError') || isHotMeshError(err, 'ContextTypeError') || isHotMeshError(err, 'DuplicateJobError') || isHotMeshError(err, 'WorkflowStateError')) return 409;
  return 500;
}

function wantsJson(req: IncomingMessage, url: URL): boolean {
  return url.pathname.startsWith('/api/') || (req.headers.accept ?? '').includes('application/json');
}

function sourceFor(options: DashboardOptions, resolved: ResolvedDashboardOptions, logger: Logger): DashboardSource {
  if (options.mf) return new ClientSource(options.mf.client, resolved.appId, logger);
  if (options.client) return new ClientSource(options.client, resolved.appId, logger);
  const runtime = new Runtime({ logger: options.logger, logLevel: options.logLevel }, processRuntime);
  const client = new Client({ connection: options.connection, dataDir: options.dataDir }, runtime);
  return new ClientSource(client, resolved.appId, logger, () => runtime.shutdown());
}

export async function startDashboard(options: DashboardOptions = {}): Promise<DashboardHandle> {
  const resolved = resolveDashboardOptions(options);
  const logger = runtimeLogger({ logger: options.logger, logLevel: options.logLevel });
  const source = sourceFor(options, resolved, logger);
  const routes = dashboardRoutes(source, resolved.readOnly);
  const { token, readOnly } = resolved;

  const fail = (req: IncomingMessage, res: ServerResponse, url: URL, status: number, message: string) => {
    if (res.headersSent) return void res.end();
    if (wantsJson(req, url)) sendJson(res, status, { error: message });
    else sendHtml(res, status, errorPage(status, message, readOnly));
  };

  const login = async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    if (token === null) return false;
    if (!sameOrigin(req)) return fail(req, res, new URL('/login', 'http://x'), 403, 'the login form must be sent from this dashboard'), true;
    const given = new URLSearchParams(await readBody(req, 4096)).get('token') ?? '';
    if (!constantTimeEquals(given, token)) return sendHtml(res, 401, loginPage(true)), true;
    res.writeHead(303, { location: '/', 'set-cookie': `${SESSION_COOKIE}=${sessionValue(token)}; HttpOnly; SameSite=Strict; Path=/` }).end();
    return true;
  };

  const server: Server = createServer(async (req, res) => {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
    const url = new URL(req.url ?? '/', 'http://dashboard.invalid');
    try {
      if (!hostAllowed(req, token !== null)) return fail(req, res, url, 403, 'this dashboard answers only to a loopback Host');
      if (req.method === 'POST' && url.pathname === '/login' && (await login(req, res))) return;
      if (token !== null && !hasToken(req, token)) {
        if (wantsJson(req, url)) return sendJson(res, 401, { error: 'the dashboard token is required' });
        return sendHtml(res, 401, loginPage(false));
      }
      const route = routes.match(req.method ?? 'GET', url.pathname);
      if (route === null) return fail(req, res, url, 404, 'no such page');
      if (route === 'method') return fail(req, res, url, 405, `${req.method} is not allowed here`);
      await route.handler({ req, res, url, params: route.params });
    } catch (err) {
      const status = statusOf(err);
      if (status === 500) logger.error({ method: req.method, path: url.pathname, err: errField(err) }, 'dashboard request failed');
      else logger.debug({ method: req.method, path: url.pathname, err: errField(err) }, 'dashboard request refused');
      fail(req, res, url, status, status === 500 ? 'internal error (see the server log)' : (err as Error).message);
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(resolved.port, resolved.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${shownHost}:${address.port}`;
  logger.info({ url, readOnly, token: token !== null }, 'dashboard listening');

  let closing: Promise<void> | undefined;
  return {
    url,
    close: () =>
      (closing ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections(); // SSE streams stay open otherwise
        });
        await source.close();
      })()),
  };
}
