/**
 * `MemFlow.dashboard(options)`: where the data is, where to listen, and who may look and act.
 * Checked before anything is opened or bound.
 */
import { ValidationError } from '../errors.js';
import type { Client } from '../memflow/client.js';
import type { MemFlowInstance } from '../memflow/init.js';
import type { ConnectionConfig } from '../storage/connection.js';
import { validateAppId } from '../storage/sql-identifier.js';
import type { Logger, LogLevel } from '../telemetry/logger.js';

export interface DashboardOptions {
  /** The database, in any form `MemFlow.init` takes. Omit it (and `dataDir`) for the embedded one. */
  connection?: ConnectionConfig;
  /** Embedded data directory (default `HOTMESH_DATA_DIR`, else `./.hotmesh`). */
  dataDir?: string;
  /** Serve through this instance (its connection and runtime); `appId` defaults to its own. */
  mf?: MemFlowInstance;
  /** Serve through this client (established form). */
  client?: Client;
  /** The app the dashboard opens on; every app of the database is listed. Default `mf.appId`, else 'memflow'. */
  appId?: string;
  /** TCP port; 0 picks a free one (see the handle's `url`). Default 7070. */
  port?: number;
  /** Interface to bind. Default '127.0.0.1'. Any non-loopback address requires `token`. */
  host?: string;
  /** Hide every action, and refuse their POSTs. Default false. */
  readOnly?: boolean;
  /**
   * Required of every request when set (header `Authorization: Bearer <token>` or `X-HotMesh-Token`,
   * or the login form, which sets a session cookie). At least 16 characters. Default: none, which
   * only a loopback `host` allows.
   */
  token?: string;
  /** Where the dashboard logs (a pino-shaped logger). Default: stderr at `warn`. */
  logger?: Logger;
  logLevel?: LogLevel;
}

export interface ResolvedDashboardOptions {
  appId: string;
  port: number;
  host: string;
  readOnly: boolean;
  token: string | null;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK.has(host) || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

export function resolveDashboardOptions(options: DashboardOptions): ResolvedDashboardOptions {
  if (!options || typeof options !== 'object') throw new ValidationError('dashboard options', 'must be an object');
  const port = options.port ?? 7070;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ValidationError('port', 'must be an integer from 0 to 65535');
  const host = options.host ?? '127.0.0.1';
  if (typeof host !== 'string' || host.length === 0) throw new ValidationError('host', 'must be a non-empty string');
  if (options.readOnly !== undefined && typeof options.readOnly !== 'boolean') throw new ValidationError('readOnly', 'must be a boolean');
  const token = options.token ?? null;
  if (token !== null && (typeof token !== 'string' || token.length < 16)) throw new ValidationError('token', 'must be a string of at least 16 characters');
  if (token === null && !isLoopbackHost(host)) {
    throw new ValidationError('token', `is required to bind '${host}': only a loopback host (127.0.0.1, ::1, localhost) may serve without one`);
  }
  if ([options.mf, options.client, options.connection ?? options.dataDir].filter((v) => v !== undefined).length > 1) {
    throw new ValidationError('dashboard options', 'give one of mf, client, or connection/dataDir');
  }
  const appId = validateAppId(options.appId ?? options.mf?.appId ?? 'memflow');
  return { appId, port, host, readOnly: options.readOnly ?? false, token };
}
