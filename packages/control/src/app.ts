/**
 * The control plane's Hono app: one error path and envelope, request ids,
 * HTTP metrics, CORS, body limits, authentication, rate limits, the admin,
 * health, metrics and OpenAPI routes. More routes join through `control.route`
 * (validated, RBAC-checked, documented) or directly on `control.api`; both get
 * the same middleware.
 */
import { Hono } from 'hono';
import type { FetchImplementation, JWTVerifyGetKey } from 'jose';
import type { Clock, Config } from '@prx-voice/core';
import { createAdmissionService } from '@prx-voice/policy';
import type { AdmissionService, ApiKeyService } from '@prx-voice/policy';
import type { Coordinator, Repositories } from '@prx-voice/storage';
import type { IdGenerator } from '@prx-voice/types';
import { registerApiKeyRoutes } from './admin/api-key-routes.js';
import { registerTenantRoutes } from './admin/tenant-routes.js';
import { registerUsageRoutes } from './admin/usage-routes.js';
import { createAuthenticator } from './auth/authenticator.js';
import type { Authenticator } from './auth/authenticator.js';
import { authMiddleware } from './auth/middleware.js';
import { bodyLimitMiddleware } from './http/body-limit.js';
import type { ControlEnv, ControlLogger } from './http/context.js';
import { silentLogger } from './http/context.js';
import { corsMiddleware } from './http/cors.js';
import { createErrorHandler, createNotFoundHandler } from './http/errors.js';
import { createRouteRegistry, openApiDocument } from './http/openapi.js';
import type { OpenApiInfo, RouteRegistry } from './http/openapi.js';
import { rateLimitMiddleware } from './http/rate-limit.js';
import { requestIdMiddleware } from './http/request-id.js';
import { addRoute } from './http/routes.js';
import type { ControlApi, DefineRoute } from './http/routes.js';
import type { ControlMetrics } from './metrics/control-metrics.js';
import {
  liveHandler,
  livenessSchema,
  metricsHandler,
  readinessSchema,
  readyHandler,
} from './metrics/health-routes.js';
import { httpMetricsMiddleware } from './metrics/http-metrics.js';
import type { ReadinessReport } from './metrics/readiness.js';

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
  readonly metrics: ControlMetrics;
  /** Backs `GET /health/ready`; see `createReadiness`. */
  readonly readiness: () => Promise<ReadinessReport>;
  readonly instanceId: string;
  /** Usage budgets for `GET /usage` (default: one over `coordinator`, which reads the same counters). */
  readonly admission?: AdmissionService;
  /** Where 5xx failures are logged, redacted (default: nowhere). */
  readonly log?: ControlLogger;
  /** Fetch for `auth.jwt.jwks_url` (default global fetch). */
  readonly jwksFetch?: FetchImplementation;
  /** Replaces the configured JWT keys (tests, custom key stores). */
  readonly jwtKey?: JWTVerifyGetKey;
  /** Title, version and server URL of `GET /openapi.json`. */
  readonly openApi?: Partial<OpenApiInfo>;
}

/** The composed app and the ways to extend it. */
export interface ControlApp {
  /** The root app: serve `app.fetch` (also `/health/*` and `/metrics` for probes and scrapers). */
  readonly app: Hono<ControlEnv>;
  /** The same app seen at `/api/v1`: routes added here get every middleware (auth required unless declared otherwise). */
  readonly api: ControlApi;
  /** The route registry behind `/openapi.json` and the auth modes. */
  readonly registry: RouteRegistry;
  /** The authenticator (for upgrades handled outside Hono). */
  readonly authenticator: Authenticator;
  /** Adds a documented, validated, permission-checked route under `/api/v1`. */
  readonly route: DefineRoute;
  /** The OpenAPI 3.1 document of the routes registered so far. */
  openApi(): Record<string, unknown>;
}

/**
 * Builds the control app. Register further routes before serving the first
 * request (Hono's router is fixed once it has matched).
 *
 * @example
 * const control = createControlApp(deps);
 * control.route({ method: 'get', path: '/sessions/{id}', summary: 'One session', permission: 'session:read',
 *   params: z.object({ id: idSchema('session') }), response: sessionSchema,
 *   handler: async (c, { params }) => ok(c, await view(principalOf(c).tenantId, params.id)) });
 * serve({ fetch: control.app.fetch, port: 8080 });
 */
export function createControlApp(deps: ControlDeps): ControlApp {
  const { config, clock } = deps;
  const log = deps.log ?? silentLogger;
  const app = new Hono<ControlEnv>();
  const api = app.basePath(API_BASE_PATH);
  const registry = createRouteRegistry(API_BASE_PATH);
  const authenticator = createAuthenticator({
    auth: config.auth,
    clock,
    repos: deps.repos,
    apiKeys: deps.apiKeys,
    ...(deps.jwksFetch === undefined ? {} : { fetch: deps.jwksFetch }),
    ...(deps.jwtKey === undefined ? {} : { jwtKey: deps.jwtKey }),
  });

  app.onError(createErrorHandler(log));
  app.notFound(createNotFoundHandler(app));
  app.use('*', requestIdMiddleware({ ids: deps.ids, clock }));
  app.use('*', httpMetricsMiddleware({ metrics: deps.metrics, clock }));
  const cors = corsMiddleware(config.server.cors);
  if (cors !== undefined) app.use('*', cors);
  app.use(`${API_BASE_PATH}/*`, authMiddleware({ authenticator, registry }));
  app.use(
    `${API_BASE_PATH}/*`,
    rateLimitMiddleware({
      coordinator: deps.coordinator,
      perTenant: config.limits.rate_limit.per_tenant,
      perCredential: config.limits.rate_limit.per_credential,
    }),
  );
  app.use('*', bodyLimitMiddleware(config.limits.max_body_bytes));

  const route: DefineRoute = (def) => {
    addRoute(api, registry, def);
  };
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
  const openApi = (): Record<string, unknown> => openApiDocument(registry, info);

  // Probes, scrapers and the document: no credential needed.
  const live = liveHandler(deps.instanceId);
  const ready = readyHandler(deps.readiness);
  const metrics = metricsHandler(deps.metrics);
  route({
    method: 'get',
    path: '/health/live',
    summary: 'Liveness probe.',
    tags: ['health'],
    auth: 'none',
    response: livenessSchema,
    handler: live,
  });
  route({
    method: 'get',
    path: '/health/ready',
    summary: 'Readiness: storage, coordination, degradation.',
    tags: ['health'],
    auth: 'none',
    response: readinessSchema,
    errors: ['NOT_READY'],
    handler: ready,
  });
  route({
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics.',
    tags: ['health'],
    auth: 'none',
    contentType: 'text/plain; version=0.0.4',
    handler: metrics,
  });
  route({
    method: 'get',
    path: '/openapi.json',
    summary: 'This document.',
    tags: ['meta'],
    auth: 'none',
    contentType: 'application/json',
    handler: (c) => c.json(openApi()),
  });
  app.get('/health/live', live);
  app.get('/health/ready', ready);
  app.get('/metrics', metrics);

  const admission =
    deps.admission ?? createAdmissionService({ coordinator: deps.coordinator, clock });
  registerTenantRoutes(route, { repos: deps.repos });
  registerApiKeyRoutes(route, { repos: deps.repos, apiKeys: deps.apiKeys, clock });
  registerUsageRoutes(route, { repos: deps.repos, admission, clock });

  return { app, api, registry, authenticator, route, openApi };
}
