/**
 * Errors that mean "the database is not reachable right now" (a restart, a dropped or terminated
 * connection), as opposed to errors in what was asked. Callers that wait (result(), the task loop)
 * retry these instead of giving up.
 */
const NETWORK_CODES: readonly string[] = ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN'];
// admin_shutdown, crash_shutdown, cannot_connect_now, the connection_exception class, and
// query_canceled (57014: the server's statement_timeout, or an operator's pg_cancel_backend)
const SQLSTATE = /^(57P0[123]|57014|08...)$/;
/**
 * What pg and pg-pool throw when a deadline passes (postgres-driver.ts): a statement with no answer
 * within query_timeout (the connection is presumed dead and destroyed), no connection or no free
 * pooled client within connectionTimeoutMillis.
 */
const DEADLINE = /Query read timeout|timeout exceeded when trying to connect|Connection terminated due to connection timeout/;

/**
 * Errors the same statement would raise again on every run: bad data (SQLSTATE class 22, such as an
 * increment of a text field) and the engine's own type and size errors (HM...). A durable call that
 * meets one fails, journaled like any failure, instead of being retried forever.
 */
export function isDeterministicDbError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(22...|HM...)$/.test(code);
}

export function isTransientDbError(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  if (!e || typeof e !== 'object') return false;
  if (typeof e.code === 'string' && (NETWORK_CODES.includes(e.code) || SQLSTATE.test(e.code))) return true;
  if (typeof e.message !== 'string') return false;
  return DEADLINE.test(e.message) || /Connection terminated|terminating connection|the database system is (starting up|shutting down)/i.test(e.message);
}

/** Errors of opening a connection at all: unreachable, refused, unknown host, bad credentials, no such database. */
export function isConnectionFailure(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^(28...|3D000)$/.test(code)) return true; // authentication, unknown database
  return isTransientDbError(err);
}
