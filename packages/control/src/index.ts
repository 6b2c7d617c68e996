/**
 * `@prx-voice/control` — the HTTP and WebSocket API of PRX Voice on Hono:
 * envelope, request ids, validation, auth (JWT and API keys), RBAC, rate
 * limits, idempotency, OpenAPI, health and metrics, admin routes, and the
 * session manager with its routes, SSE and the session WebSocket.
 *
 * @example
 * const control = createControlApp(deps);
 * const sessions = createSessionManager({ ... });
 * registerSessionRoutes(control, { manager: sessions, repos, bus, log });
 * serve({ fetch: control.app.fetch, port: 8080 });
 */
export { API_BASE_PATH, createControlApp } from './app.js';
export type { ControlApp, ControlDeps } from './app.js';
export { principalOf, silentLogger, tenantOf } from './http/context.js';
export type {
  ControlContext,
  ControlEnv,
  ControlLogger,
  ControlVariables,
} from './http/context.js';
export { errorEnvelope, ok, okEnvelope } from './http/envelope.js';
export type { Envelope, ErrorEnvelope, OkEnvelope } from './http/envelope.js';
export { errorResponse, retryAfterSeconds, toVoiceError } from './http/errors.js';
export { REQUEST_ID_HEADER } from './http/request-id.js';
export {
  parseJsonBody,
  parseParams,
  parseQuery,
  parseWith,
  readJson,
  validationError,
} from './http/validate.js';
export type { InputLocation, ValidationIssue } from './http/validate.js';
export {
  DEFAULT_PAGE_SIZE,
  pageData,
  pageOptions,
  pageSchema,
  paginationQuerySchema,
} from './http/pagination.js';
export type { PageData, PaginationQuery } from './http/pagination.js';
export {
  errorBodySchema,
  errorEnvelopeSchema,
  idSchema,
  okEnvelopeSchema,
  timestampSchema,
} from './http/schemas.js';
export { createRouteRegistry, openApiDocument, toHonoPath, toOpenApiPath } from './http/openapi.js';
export type {
  AuthMode,
  OpenApiInfo,
  RouteDoc,
  RouteMethod,
  RouteRegistry,
} from './http/openapi.js';
export { addRoute } from './http/routes.js';
export type { ControlApi, DefineRoute, RouteDefinition, RouteInput } from './http/routes.js';
export { internalMiddleware } from './http/route-match.js';
export {
  canonicalJson,
  IDEMPOTENCY_KEY_HEADER,
  IDEMPOTENCY_TTL_MS,
  IDEMPOTENT_REPLAYED_HEADER,
  requestHash,
  withIdempotency,
} from './http/idempotency.js';
export type { IdempotentResult } from './http/idempotency.js';
export { checkRateLimit, tenantBucket } from './http/rate-limit.js';
export type { BucketSpec, RateLimitDecision } from './http/rate-limit.js';
export { bearerToken, createAuthenticator } from './auth/authenticator.js';
export type {
  Authenticated,
  Authenticator,
  AuthenticatorDeps,
  Credentials,
} from './auth/authenticator.js';
export { createJwtVerifier } from './auth/jwt.js';
export type { JwtVerifier, JwtVerifierOptions } from './auth/jwt.js';
export { checkPermission, requirePermission } from './auth/middleware.js';
export { createControlMetrics, METRIC_PREFIX, TURN_STAGES } from './metrics/control-metrics.js';
export type {
  ControlMetrics,
  ControlMetricsOptions,
  HttpObservation,
  ProviderErrorObservation,
  TurnStage,
} from './metrics/control-metrics.js';
export { createReadiness } from './metrics/readiness.js';
export type { ReadinessCheck, ReadinessProbe, ReadinessReport } from './metrics/readiness.js';
export { createSessionManager } from './sessions/session-manager.js';
export { resolveAutoProviders } from './sessions/session-providers.js';
export type {
  CreateSessionRequest,
  LiveSession,
  SessionCommandName,
  SessionManager,
  SessionManagerDeps,
} from './sessions/session-manager.js';
export { createBreakerPool, sessionProviders } from './sessions/session-providers.js';
export type { BreakerPool, SessionProviders } from './sessions/session-providers.js';
export { resumePosition, streamSessionEvents } from './sessions/sse.js';
export { attachWebSocket, wsSessionId } from './sessions/ws-attach.js';
export type { WsAttachDeps } from './sessions/ws-attach.js';
export { registerSessionRoutes } from './sessions/session-routes.js';
export {
  attachTwilioStream,
  registerTwilioWebhook,
  TWILIO_STREAM_PATH,
  TWILIO_VOICE_PATH,
} from './sessions/twilio.js';
export type { TwilioSettings } from './sessions/twilio.js';
