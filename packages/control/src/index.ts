/**
 * `@prx-voice/control` — the HTTP and WebSocket API of PRX Voice on Hono:
 * envelope, request ids, validation, auth (JWT and API keys), RBAC, rate
 * limits, idempotency, OpenAPI, health and metrics, admin routes, and the
 * session manager with its routes, SSE and the session WebSocket.
 *
 * Most servers need one call: {@link createVoiceControl} composes all of it.
 * Below it, {@link createControlApp} is the app with its middleware, and
 * route modules (the one list is {@link routeTable}) add the routes.
 *
 * @example
 * const voice = createVoiceControl({ config, clock, ids, repos, coordinator, apiKeys, providers,
 *   pingDatabase: () => database.ping(), log: console.error });
 * const server = serve({ fetch: voice.control.app.fetch, port: 8080 });
 * server.on('upgrade', voice.control.upgrade);
 * await voice.start();
 */
// Composition.
export { createVoiceControl } from './voice-control.js';
export { auditLogFromConfig, auditSignerFromConfig } from './admin/audit-log-config.js';
export type { VoiceControl, VoiceControlDeps } from './voice-control.js';
export { API_BASE_PATH, createControlApp } from './app.js';
export type { ControlApp, ControlDeps } from './app.js';
export type {
  Authenticated,
  Authenticator,
  AuthFailure,
  Credentials,
} from './auth/authenticator.js';
export type { ControlApi } from './http/routes.js';
export type { OpenApiInfo, RouteRegistry } from './http/openapi.js';
export { routeTable } from './route-table.js';
export type { RouteTableDeps } from './route-table.js';
export { complianceFromConfig } from './compliance/subjects-config.js';
export type { Compliance } from './compliance/subjects-config.js';
export type { ExportLinks } from './compliance/subject-routes.js';

// Writing a route module.
export type { RouteModule, RouteMount } from './http/route-module.js';
export type { DefineRoute, RouteDefinition, RouteInput } from './http/routes.js';
export type {
  DefineSocketRoute,
  HostMetrics,
  SocketHandoff,
  SocketRequest,
  SocketRouteDefinition,
} from './http/socket-routes.js';
export { HANDED_OFF_HEADER } from './http/socket-routes.js';
export type { AuthMode, RouteDoc, RouteMethod } from './http/openapi.js';
export { principalOf, tenantOf } from './http/context.js';
export type { ControlContext, ControlEnv, ControlVariables } from './http/context.js';
export { ok } from './http/envelope.js';
export type { Envelope, ErrorEnvelope, OkEnvelope } from './http/envelope.js';
export { idSchema, timestampSchema } from './http/schemas.js';
export { pageData, pageOptions, pageSchema, paginationQuerySchema } from './http/pagination.js';
export type { PageData, PaginationQuery } from './http/pagination.js';
export { IDEMPOTENCY_KEY_HEADER, withIdempotency } from './http/idempotency.js';
export type { IdempotentResult } from './http/idempotency.js';
export { checkPermission } from './auth/middleware.js';

// Operations.
export { createReadiness } from './metrics/readiness.js';
export type { ReadinessCheck, ReadinessProbe, ReadinessReport } from './metrics/readiness.js';

// Sessions.
export { createSessionManager } from './sessions/session-manager.js';
export type {
  AssistantSwitchOptions,
  CreateSessionRequest,
  LiveSession,
  SessionCommandName,
  SessionLogFields,
  SessionManager,
  SessionManagerDeps,
  SessionTarget,
  TransferSettings,
} from './sessions/session-manager-types.js';
export type { ChangeLocation, SessionSettingsChange } from './sessions/session-update.js';
export { TWILIO_STREAM_PATH, TWILIO_VOICE_PATH, twilioSettings } from './sessions/twilio.js';
export type { TwilioSettings } from './sessions/twilio.js';
export { TELNYX_STREAM_PATH, TELNYX_VOICE_PATH, telnyxSettings } from './sessions/telnyx.js';
export type { TelnyxSettings } from './sessions/telnyx.js';
export { PLIVO_ANSWER_PATH, PLIVO_STREAM_PATH, plivoSettings } from './sessions/plivo.js';
export type { PlivoSettings } from './sessions/plivo.js';
export { VONAGE_ANSWER_PATH, VONAGE_STREAM_PATH, vonageSettings } from './sessions/vonage.js';
export type { VonageSettings } from './sessions/vonage.js';
export { EXOTEL_STREAM_PATH, EXOTEL_STREAM_URL_PATH, exotelSettings } from './sessions/exotel.js';
export type { ExotelSettings } from './sessions/exotel.js';
export type { ProviderCheck, ProviderHealth, ProviderStatus } from './sessions/provider-health.js';
export type { CallStats } from './sessions/breaker-stats.js';
export type { AutoProviderChoice } from './sessions/session-providers.js';

// Agents: HTTP tools.
export {
  httpTool,
  httpToolSpecSchema,
  TOOL_SIGNATURE_HEADER,
  verifyToolSignature,
} from './agents/http-tool.js';
export type { HttpToolContext, HttpToolSpec } from './agents/http-tool.js';
export type { HostLookup, ResolvedAddress } from './agents/ssrf.js';
export type { SessionTools } from './agents/session-tools.js';
