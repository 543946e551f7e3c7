/** A route table: method and path pattern (named groups) to a handler. No framework for this. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ValidationError } from '../errors.js';

export interface RouteContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  params: Record<string, string>;
}

export type Handler = (ctx: RouteContext) => Promise<void>;

interface Route {
  method: string;
  pattern: RegExp;
  handler: Handler;
}

/** `/apps/:app/jobs/:id` → a RegExp with groups `app` and `id`, each one URL-encoded segment. */
function compile(path: string): RegExp {
  const source = path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:([a-z]+)/g, '(?<$1>[^/]+)');
  return new RegExp(`^${source}$`);
}

export class Routes {
  private readonly routes: Route[] = [];

  add(method: string, path: string, handler: Handler): this {
    this.routes.push({ method, pattern: compile(path), handler });
    return this;
  }

  /** The handler and decoded parameters for a request; null: no such path (or not with this method). */
  match(method: string, pathname: string): { handler: Handler; params: Record<string, string> } | 'method' | null {
    let pathMatched = false;
    for (const route of this.routes) {
      const m = route.pattern.exec(pathname);
      if (!m) continue;
      pathMatched = true;
      if (route.method !== method) continue;
      const params: Record<string, string> = {};
      for (const [k, v] of Object.entries(m.groups ?? {})) {
        try {
          params[k] = decodeURIComponent(v);
        } catch {
          throw new ValidationError(k, 'is not a valid URL-encoded value');
        }
      }
      return { handler: route.handler, params };
    }
    return pathMatched ? 'method' : null;
  }
}
