/**
 * Who may ask what: the token (constant-time compare), the Host header (no DNS rebinding onto a
 * loopback dashboard), and the same-origin rule for every POST.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const SESSION_COOKIE = 'hotmesh_session';

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** Equal strings, compared in time that does not depend on where they differ (both are hashed first). */
export function constantTimeEquals(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/** The session cookie's value for a token: a MAC of it, so the cookie is not the token itself. */
export function sessionValue(token: string): string {
  return createHmac('sha256', token).update('hotmesh-dashboard-session').digest('hex');
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function cookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (header(req, 'cookie') ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** The request carries the token: as a bearer or X-HotMesh-Token header, or as the login's cookie. */
export function hasToken(req: IncomingMessage, token: string): boolean {
  const auth = header(req, 'authorization');
  if (auth?.startsWith('Bearer ') && constantTimeEquals(auth.slice(7), token)) return true;
  const direct = header(req, 'x-hotmesh-token');
  if (direct !== undefined && constantTimeEquals(direct, token)) return true;
  const session = cookie(req, SESSION_COOKIE);
  return session !== undefined && constantTimeEquals(session, sessionValue(token));
}

/**
 * Without a token only loopback names may appear in Host: a page on another site that rebinds its
 * name to 127.0.0.1 sends its own name, and is refused.
 */
export function hostAllowed(req: IncomingMessage, tokenRequired: boolean): boolean {
  if (tokenRequired) return true;
  const host = header(req, 'host') ?? '';
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0]!;
  return name === '127.0.0.1' || name === 'localhost' || name === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name);
}

/** A POST from this dashboard's own pages: Origin names this very host, or the browser says same-origin. */
export function sameOrigin(req: IncomingMessage): boolean {
  const origin = header(req, 'origin');
  const host = header(req, 'host');
  if (origin !== undefined && origin !== 'null') return host !== undefined && origin === `http://${host}`;
  return header(req, 'sec-fetch-site') === 'same-origin';
}
