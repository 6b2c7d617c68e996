/**
 * The control plane's Hono app: one error path and envelope, request ids,
 * HTTP metrics, CORS, body limits, authentication and rate limits, a route
 * registry behind the OpenAPI document, and one router for WebSocket upgrades.
 * Routes join as modules (`control.mount`), from the one list in `routeTable`.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { Hono } from 'hono';
import type { FetchImplementation, JWTVerifyGetKey } from 'jose';
import { silentLogger } from '@prx-voice/core';
import type { Clock, Config, Logger } from '@prx-voice/core';
import type { ApiKeyService } from '@prx-voice/policy';
import type { Coordinator, Repositories } from '@prx-voice/storage';
import type { IdGenerator } from '@prx-voice/types';
import { createAuthenticator } from './auth/authenticator.js';
import type { Authenticator } from './auth/authenticator.js';
import { authMiddleware } from './auth/middleware.js';
import { bodyLimitMiddleware, declaredLengthMiddleware } from './http/body-limit.js';
import type { ControlEnv } from './http/context.js';
import { corsMiddleware } from './http/cors.js';
import { createErrorHandler, createNotFoundHandler } from './http/errors.js';
import { createRouteRegistry, openApiDocument } from './http/openapi.js';
import type { OpenApiInfo, RouteRegistry } from './http/openapi.js';
import { rateLimitMiddleware } from './http/rate-limit.js';
import { requestIdMiddleware } from './http/request-id.js';
import type { AuditLog } from '@prx-voice/audit';
import { createAuditSink } from './admin/audit-sink.js';
import { createAuthFailureRecorder } from './admin/auth-failures.js';
import { addRoute } from './http/routes.js';
import type { ControlApi, DefineRoute } from './http/routes.js';
import type { RouteModule, RouteMount } from './http/route-module.js';
import { createSocketRouter } from './http/socket-routes.js';
import type { DefineSocketRoute, SocketHandoff } from './http/socket-routes.js';
import type { VoiceMetrics } from '@prx-voice/observe';
import { httpMetricsMiddleware } from './metrics/http-metrics.js';

/** The API's base path. */
export const API_BASE_PATH = '/api/v1' as const;

/** Everything the control app runs with. */
export interface ControlDeps {
  readonly config: Config;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly repos: Repositories;
  readonly coordinator: Coordinator;
  readonly apiKeys: ApiKeyService;
  readonly metrics: VoiceMetrics;
  /** Where 5xx failures are logged, redacted (default: nowhere). */
  readonly log?: Logger;
  /** Fetch for `auth.jwt.jwks_url` (default global fetch). */
  readonly jwksFetch?: FetchImplementation;
  /** Replaces the configured JWT keys (tests, custom key stores). */
  readonly jwtKey?: JWTVerifyGetKey;
  /** Title, version and server URL of `GET /openapi.json`. */
  readonly openApi?: Partial<OpenApiInfo>;
  /** Scales every tenant's request rate now (the degradation level tightens it); default 1. */
  readonly tenantRateFactor?: () => number;
  /** Where calls of routes that declare `audit` are recorded (default: nowhere). */
  readonly audit?: AuditLog;
  /** Hands connections for sessions a sibling worker holds to it (absent: one process). */
  readonly socketHandoff?: SocketHandoff;
}

/** The composed app and the ways to extend it. */
export interface ControlApp {
  /** The root app: serve `app.fetch` (also `/health/*` and `/metrics` for probes and scrapers). */
  readonly app: Hono<ControlEnv>;
  /** The same app seen at `/api/v1` (tests add ad-hoc routes here; modules use {@link ControlApp.mount}). */
  readonly api: ControlApi;
  /** The route registry behind `/openapi.json` and the auth modes. */
  readonly registry: RouteRegistry;
  /** The authenticator (WebSocket routes authenticate after the upgrade). */
  readonly authenticator: Authenticator;
  /** Adds a documented, validated, permission-checked route under `/api/v1`. */
  readonly route: DefineRoute;
  /** Adds a documented WebSocket route under `/api/v1` (or at the root). */
  readonly socket: DefineSocketRoute;
  /** Mounts route modules, in order. */
  mount(...modules: readonly RouteModule[]): void;
  /** The server's `upgrade` listener: the matching WebSocket route, else 404. */
  readonly upgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
  /** Closes every open WebSocket (shutdown). */
  closeSockets(code: number, reason: string): void;
  /** The OpenAPI 3.1 document of the routes registered so far. */
  openApi(): Record<string, unknown>;
  /** Writes the refused-credential counts still aggregated to the audit log (shutdown). */
  flushAuthFailures(): Promise<void>;
}

/**
 * Builds the control app with its middleware and no routes: mount the route
 * modules (`control.mount(...routeTable(control, deps))`) before serving the
 * first request (Hono's router is fixed once it has matched).
 *
 * @example
 * const control = createControlApp(deps);
 * control.mount(...routeTable(control, { ...deps, sessions }));
 * const server = serve({ fetch: control.app.fetch, port: 8080 });
 * server.on('upgrade', control.upgrade);
 */
export function createControlApp(deps: ControlDeps): ControlApp {
  const { config, clock } = deps;
  const log = deps.log ?? silentLogger;
  const app = new Hono<ControlEnv>();
  const api = app.basePath(API_BASE_PATH);
  const registry = createRouteRegistry(API_BASE_PATH);
  const authFailures = createAuthFailureRecorder({
    ...(deps.audit === undefined ? {} : { audit: deps.audit }),
    clock,
    log,
    count: (reason) => {
      deps.metrics.authFailure(reason);
    },
  });
  const authenticator = createAuthenticator({
    auth: config.auth,
    clock,
    repos: deps.repos,
    apiKeys: deps.apiKeys,
    ...(deps.jwksFetch === undefined ? {} : { fetch: deps.jwksFetch }),
    ...(deps.jwtKey === undefined ? {} : { jwtKey: deps.jwtKey }),
    onFailure: (failure) => {
      authFailures.failed(failure);
    },
  });

  app.onError(createErrorHandler(log));
  app.notFound(createNotFoundHandler(app));
  app.use('*', requestIdMiddleware({ ids: deps.ids, clock }));
  app.use('*', httpMetricsMiddleware({ metrics: deps.metrics, clock }));
  const cors = corsMiddleware(config.server.cors);
  if (cors !== undefined) app.use('*', cors);
  app.use('*', declaredLengthMiddleware(config.limits.max_body_bytes));
  app.use(`${API_BASE_PATH}/*`, authMiddleware({ authenticator, registry }));
  app.use(
    `${API_BASE_PATH}/*`,
    rateLimitMiddleware({
      coordinator: deps.coordinator,
      perTenant: config.limits.rate_limit.per_tenant,
      perCredential: config.limits.rate_limit.per_credential,
      ...(deps.tenantRateFactor === undefined ? {} : { tenantFactor: deps.tenantRateFactor }),
    }),
  );
  app.use('*', bodyLimitMiddleware(config.limits.max_body_bytes));

  const auditSink =
    deps.audit === undefined ? undefined : createAuditSink({ audit: deps.audit, log });
  const route: DefineRoute = (def) => {
    addRoute(
      { api, root: app, ...(auditSink === undefined ? {} : { audit: auditSink }) },
      registry,
      def,
    );
  };
  const sockets = createSocketRouter({
    registry,
    // A binary frame of the largest allowed size, with room for the largest text frame.
    maxPayload: config.limits.max_ws_frame_bytes * 2,
    onError: (err) =>
      log.error({ error: err instanceof Error ? err.message : String(err) }, 'websocket route'),
    ...(deps.socketHandoff === undefined ? {} : { handoff: deps.socketHandoff }),
  });
  const info: OpenApiInfo = {
    title: deps.openApi?.title ?? 'PRX Voice API',
    version: deps.openApi?.version ?? '1.0.0',
    ...(deps.openApi?.description === undefined ? {} : { description: deps.openApi.description }),
    serverUrl:
      deps.openApi?.serverUrl ??
      (config.server.public_url === undefined
        ? API_BASE_PATH
        : `${config.server.public_url.replace(/\/$/, '')}${API_BASE_PATH}`),
  };
  const mounts: RouteMount = { route, socket: sockets.add };
  return {
    app,
    api,
    registry,
    authenticator,
    route,
    socket: sockets.add,
    mount: (...modules) => {
      for (const m of modules) m.mount(mounts);
    },
    upgrade: (req, socket, head) => sockets.upgrade(req, socket, head),
    closeSockets: (code, reason) => sockets.closeAll(code, reason),
    openApi: () => openApiDocument(registry, info),
    flushAuthFailures: () => authFailures.flush(),
  };
}
