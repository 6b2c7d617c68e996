/**
 * The one list of route modules the server mounts. Adding a surface is a
 * module file and a line here; the server wires nothing route by route.
 */
import type { Clock, Config } from '@prx-voice/core';
import type { IdGenerator } from '@prx-voice/types';
import type { EventBus, EventLog } from '@prx-voice/event';
import { createAdmissionService } from '@prx-voice/policy';
import type { AdmissionService, ApiKeyService } from '@prx-voice/policy';
import type { Coordinator, Repositories } from '@prx-voice/storage';
import { apiKeyRoutes } from './admin/api-key-routes.js';
import { tenantRoutes } from './admin/tenant-routes.js';
import { billingRoutes } from './admin/billing-routes.js';
import type { AuditLog } from '@prx-voice/audit';
import { auditRoutes } from './admin/audit-routes.js';
import { recordingRoutes } from './compliance/recording-routes.js';
import { assistantRoutes } from './agents/assistant-routes.js';
import { subjectRoutes } from './compliance/subject-routes.js';
import type { Compliance } from './compliance/subjects-config.js';
import { incidentRoutes } from './admin/incident-routes.js';
import { sloRoutes } from './admin/slo-routes.js';
import { usageRoutes } from './admin/usage-routes.js';
import type { ControlApp } from './app.js';
import type { RouteModule } from './http/route-module.js';
import type { SloTracker, VoiceMetrics } from '@prx-voice/observe';
import { metaRoutes } from './metrics/health-routes.js';
import { providerHealthRoutes } from './metrics/provider-health-routes.js';
import type { ReadinessReport } from './metrics/readiness.js';
import type { SessionManager } from './sessions/session-manager-types.js';
import { sessionRoutes } from './sessions/session-routes.js';
import { telnyxRoutes } from './sessions/telnyx.js';
import { exotelRoutes } from './sessions/exotel.js';
import { callRoutes } from './sessions/call-routes.js';
import { telnyxOutbound, twilioOutbound } from './sessions/outbound-calls.js';
import type { OutboundCarrier } from './sessions/outbound-calls.js';
import { plivoOutbound } from './sessions/plivo-outbound.js';
import { vonageOutbound } from './sessions/vonage-outbound.js';
import type { ExotelSettings } from './sessions/exotel.js';
import { exotelOutbound, exotelStatusWebhook } from './sessions/exotel-calls.js';
import { createExotelStreams } from './sessions/exotel-streams.js';
import type { TelnyxSettings } from './sessions/telnyx.js';
import { plivoRoutes } from './sessions/plivo.js';
import type { PlivoSettings } from './sessions/plivo.js';
import { vonageRoutes } from './sessions/vonage.js';
import type { VonageSettings } from './sessions/vonage.js';
import { openAiRealtimeRoutes } from './sessions/openai-realtime.js';
import { twilioRoutes } from './sessions/twilio.js';
import { rtviRoutes } from './sessions/rtvi.js';
import { createRtviTickets } from './sessions/rtvi-tickets.js';
import { webrtcRoutes } from './sessions/webrtc.js';
import { webRoutes } from './web/web-routes.js';
import type { TwilioSettings } from './sessions/twilio.js';

/** What the routes work with; sessions and Twilio are mounted when given. */
export interface RouteTableDeps {
  readonly clock: Clock;
  readonly repos: Repositories;
  readonly coordinator: Coordinator;
  readonly apiKeys: ApiKeyService;
  readonly metrics: VoiceMetrics;
  /** Backs `GET /health/ready`; see `createReadiness`. */
  readonly readiness: () => Promise<ReadinessReport>;
  readonly instanceId: string;
  /**
   * Data subjects' keys, export links and the object store: with a store, the recording
   * routes, and with `config` and `ids` too, the GDPR routes.
   */
  readonly compliance?: Compliance;
  readonly config?: Config;
  readonly ids?: IdGenerator;
  /** The audit log `GET /audit` and `/audit/verify` read (absent: no such routes). */
  readonly audit?: AuditLog;
  /** The objectives `GET /slo` reports (absent: no such route). */
  readonly slo?: SloTracker;
  /** Late usage waited for after a month's end before its period may close (`billing.close_grace_ms`). */
  readonly closeGraceMs?: number;
  /** Usage budgets for `GET /usage` (default: one over `coordinator`, which reads the same counters). */
  readonly admission?: AdmissionService;
  /** The session routes and WebSocket. */
  readonly sessions?: {
    readonly manager: SessionManager;
    readonly bus: EventBus;
    readonly log: EventLog;
    /** The server's public URL, for the `ws_url` of sessions. */
    readonly publicUrl?: string | undefined;
    /** The largest WebSocket frame a client may send, bytes. */
    readonly maxFrameBytes: number;
  };
  /** The playground (`/`, `/playground`) and console (`/console`), from this built directory. */
  readonly web?: { readonly assetsDir: string } | undefined;
  /** Twilio's webhook and media stream (needs `sessions`). */
  readonly twilio?: TwilioSettings | undefined;
  /** Telnyx's webhook and media stream (needs `sessions`). */
  readonly telnyx?: TelnyxSettings | undefined;
  /** Plivo's answer webhook and audio stream (needs `sessions`). */
  readonly plivo?: PlivoSettings | undefined;
  /** Vonage's answer webhook and WebSocket (needs `sessions`). */
  readonly vonage?: VonageSettings | undefined;
  /** Exotel's dynamic stream URL and media stream (needs `sessions`). */
  readonly exotel?: ExotelSettings | undefined;
  /** Errors of connections (logged by the caller). */
  readonly onError?: (error: unknown, context: string) => void;
}

/** Recordings, and GDPR export and erasure, when the server has an object store. */
function complianceRoutes(deps: RouteTableDeps): RouteModule[] {
  const { compliance, config, ids, repos, clock } = deps;
  const store = compliance?.store;
  if (compliance === undefined || store === undefined) return [];
  const { subjects, links } = compliance;
  const manager = deps.sessions?.manager;
  return [
    recordingRoutes({ repos, store, subjects }),
    ...(config === undefined || ids === undefined
      ? []
      : [
          subjectRoutes(
            {
              ...{ config, repos, store, subjects, clock, ids, audit: deps.audit },
              events: compliance.events,
              endSession: manager && ((tenantId, id) => manager.command(tenantId, id, 'end')),
            },
            links,
          ),
        ]),
  ];
}

/** The route modules of `control`, in mounting order. */
export function routeTable(control: ControlApp, deps: RouteTableDeps): readonly RouteModule[] {
  const { clock, repos, sessions, twilio, telnyx } = deps;
  const plivoCalls = plivoOutbound(deps.plivo);
  const vonageCalls = vonageOutbound(deps.vonage, clock);
  const admission =
    deps.admission ?? createAdmissionService({ coordinator: deps.coordinator, clock });
  // Exotel's streams by call: an outbound Exotel call is ended by closing its stream.
  const exotelStreams = createExotelStreams();
  return [
    metaRoutes({
      instanceId: deps.instanceId,
      readiness: deps.readiness,
      metrics: deps.metrics,
      openApi: () => control.openApi(),
    }),
    tenantRoutes({ repos }),
    apiKeyRoutes({ repos, apiKeys: deps.apiKeys, clock }),
    usageRoutes({ repos, admission, clock }),
    billingRoutes({
      repos,
      clock,
      ...(deps.closeGraceMs === undefined ? {} : { closeGraceMs: deps.closeGraceMs }),
    }),
    incidentRoutes({ repos }),
    assistantRoutes({ repos, secrets: deps.compliance?.assistantSecrets }),
    ...(deps.audit === undefined ? [] : [auditRoutes({ repos, audit: deps.audit })]),
    ...(deps.slo === undefined ? [] : [sloRoutes({ slo: deps.slo })]),
    ...complianceRoutes(deps),
    ...(sessions === undefined
      ? []
      : [
          sessionRoutes({
            manager: sessions.manager,
            repos,
            bus: sessions.bus,
            log: sessions.log,
            publicUrl: sessions.publicUrl,
            subjects: deps.compliance?.subjects,
            socket: {
              authenticator: control.authenticator,
              clock,
              maxFrameBytes: sessions.maxFrameBytes,
              onError: (err) => deps.onError?.(err, 'websocket'),
            },
          }),
          providerHealthRoutes({
            instanceId: deps.instanceId,
            status: () => sessions.manager.providerHealth.status(),
          }),
        ]),
    ...(sessions === undefined
      ? []
      : [
          rtviRoutes({
            manager: sessions.manager,
            repos,
            clock,
            tickets: createRtviTickets({ clock }),
            publicUrl: sessions.publicUrl,
            maxFrameBytes: sessions.maxFrameBytes,
            onError: (err) => deps.onError?.(err, 'rtvi'),
          }),
          openAiRealtimeRoutes({
            manager: sessions.manager,
            repos,
            authenticator: control.authenticator,
            clock,
            config: deps.config,
            maxAppendBytes: sessions.maxFrameBytes,
            onError: (err) => deps.onError?.(err, 'openai-realtime'),
          }),
          webrtcRoutes({
            manager: sessions.manager,
            repos,
            clock,
            iceServers: deps.config?.server.webrtc.ice_servers,
            onError: (err) => deps.onError?.(err, 'webrtc'),
          }),
        ]),
    ...(deps.web === undefined ? [] : [webRoutes(deps.web)]),
    ...(sessions === undefined || twilio === undefined
      ? []
      : [
          twilioRoutes({
            manager: sessions.manager,
            repos,
            clock,
            twilio,
            onError: (err) => deps.onError?.(err, 'twilio'),
          }),
        ]),
    ...(sessions === undefined || telnyx === undefined
      ? []
      : [
          telnyxRoutes({
            manager: sessions.manager,
            repos,
            clock,
            telnyx,
            onError: (err) => deps.onError?.(err, 'telnyx'),
          }),
        ]),
    ...(sessions === undefined || deps.plivo === undefined
      ? []
      : [
          plivoRoutes({
            manager: sessions.manager,
            repos,
            clock,
            plivo: deps.plivo,
            onError: (err) => deps.onError?.(err, 'plivo'),
          }),
        ]),
    ...(sessions === undefined || deps.vonage === undefined
      ? []
      : [
          vonageRoutes({
            manager: sessions.manager,
            repos,
            clock,
            vonage: deps.vonage,
            onError: (err) => deps.onError?.(err, 'vonage'),
          }),
        ]),
    ...(sessions === undefined
      ? []
      : [
          callRoutes({
            manager: sessions.manager,
            repos,
            clock,
            carriers: [
              twilioOutbound(twilio),
              telnyxOutbound(telnyx),
              plivoCalls?.carrier,
              vonageCalls?.carrier,
              exotelOutbound(deps.exotel, exotelStreams),
            ].filter((carrier): carrier is OutboundCarrier => carrier !== undefined),
            twilio,
            telnyx,
            callbacks: [
              plivoCalls?.callbacks,
              vonageCalls?.callbacks,
              deps.exotel === undefined ? undefined : exotelStatusWebhook(deps.exotel),
            ].filter((callbacks) => callbacks !== undefined),
            metrics: deps.metrics,
            onError: (err) => deps.onError?.(err, 'calls'),
          }),
        ]),
    ...(sessions === undefined || deps.exotel === undefined
      ? []
      : [
          exotelRoutes({
            manager: sessions.manager,
            repos,
            clock,
            exotel: deps.exotel,
            streams: exotelStreams,
            onError: (err) => deps.onError?.(err, 'exotel'),
          }),
        ]),
  ];
}
