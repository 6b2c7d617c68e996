/**
 * The one shape of a route module: a name and a `mount` that declares its HTTP
 * and WebSocket routes. Modules are mounted from one list (`routeTable`); each
 * route is documented, validated and permission-checked by the app.
 */
import type { DefineRoute } from './routes.js';
import type { DefineSocketRoute } from './socket-routes.js';

/** What a module declares its routes with. */
export interface RouteMount {
  /** An HTTP route (below the base path unless `at: 'root'`). */
  readonly route: DefineRoute;
  /** A WebSocket route, upgraded by the app's socket router. */
  readonly socket: DefineSocketRoute;
}

/** A group of routes that belong together. */
export interface RouteModule {
  /** A short name for logs and tests (`sessions`, `tenants`). */
  readonly name: string;
  mount(routes: RouteMount): void;
}
