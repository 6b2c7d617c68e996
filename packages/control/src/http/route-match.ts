/**
 * Which route a request matched, seen from middleware: the last matched route
 * that is not one of the app's own global middleware. Metrics label requests
 * by its pattern (never the raw path) and auth reads its declared mode.
 */
import type { MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { ControlContext } from './context.js';

const internalHandlers = new WeakSet<object>();

/** Marks a middleware as the app's own, so it never counts as the matched route. */
export function internalMiddleware<M extends MiddlewareHandler>(middleware: M): M {
  internalHandlers.add(middleware);
  return middleware;
}

/** A matched route: its method (`ALL` for `use`/`all`) and its path pattern. */
export interface MatchedRoute {
  readonly method: string;
  readonly path: string;
}

/** The route a request is for, or undefined when only the app's middleware matched (404/405). */
export function finalRoute(c: ControlContext): MatchedRoute | undefined {
  const routes = matchedRoutes(c);
  for (let i = routes.length - 1; i >= 0; i--) {
    const r = routes[i];
    if (r !== undefined && !internalHandlers.has(r.handler))
      return { method: r.method, path: r.path };
  }
  return undefined;
}
