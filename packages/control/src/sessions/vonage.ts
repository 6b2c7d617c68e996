/**
 * Vonage on the server: the Voice application's answer webhook (`GET` with the call in the
 * query, or `POST` with it as JSON; a signed webhook — an HS256 JWT checked with the
 * account's signature secret, its `payload_hash` against the body; a bad one is a 403 and
 * starts nothing) answers an NCCO that connects the call to our WebSocket; the socket
 * (`carrier-stream.ts`, shared by every carrier) carries binary L16 8/16 kHz frames both
 * ways, a `notify` after every spoken segment whose `websocket:notify` moves the playback
 * position, and `clear` on barge-in. The WebSocket URI carries the call's session and
 * stream token; `websocket:connected` is refused (4401) unless the token is the session's.
 */
import type { WebSocket } from 'ws';
import type { Clock, Config } from '@prx-voice/core';
import {
  createVonageMediaStream,
  verifyVonageSignature,
  vonageConnectNcco,
} from '@prx-voice/transport';
import type { VonageConnectAction, VonageContentType, VonageStartInfo } from '@prx-voice/transport';
import type { Repositories } from '@prx-voice/storage';
import { VoiceError } from '@prx-voice/types';
import type { Id } from '@prx-voice/types';
import type { ControlContext } from '../http/context.js';
import type { RouteModule } from '../http/route-module.js';
import type { SocketRequest } from '../http/socket-routes.js';
import { callWebhookQuery, createCallSession, publicStreamUrl } from './call-session.js';
import { attachCarrierStream, carrierStreamToken, credentialsFromQuery } from './carrier-stream.js';
import type { SessionManager } from './session-manager.js';
import { streamUrlHolder } from './session-holder.js';

/** Path of Vonage's answer webhook. */
export const VONAGE_ANSWER_PATH = '/telephony/vonage/voice';
/** Path of Vonage's WebSocket. */
export const VONAGE_STREAM_PATH = '/telephony/vonage/stream';

/** The Vonage settings of the server (`telephony.vonage`). */
export interface VonageSettings {
  /** Slug of the tenant Vonage calls belong to. */
  readonly tenant: string;
  /** The account's signature secret: checks signed webhooks and signs the per-call stream tokens. */
  readonly signatureSecret: string;
  /** When set, a webhook token must name this application. */
  readonly applicationId: string | undefined;
  readonly contentType: VonageContentType;
  /** How far a webhook token's `iat` may be from now, in seconds. */
  readonly signatureToleranceS: number;
  /** The server's public URL as Vonage reaches it, for the WebSocket URI. */
  readonly publicUrl: string;
  /** The application's private key (PEM): with `applicationId`, Vonage places outbound calls. */
  readonly privateKey: string | undefined;
  /** Vonage's Voice API. */
  readonly apiBaseUrl: string;
}

/**
 * Vonage is on when `telephony.vonage` is configured; it needs `server.public_url` (else
 * `CONFIG_INVALID` naming it).
 */
export function vonageSettings(config: Config): VonageSettings | undefined {
  const v = config.telephony.vonage;
  if (v === undefined) return undefined;
  const publicUrl = config.server.public_url;
  if (publicUrl === undefined) {
    throw new VoiceError('CONFIG_INVALID', {
      message:
        'Invalid server.public_url: telephony.vonage needs the URL Vonage reaches the server at',
      details: { key: 'server.public_url' },
    });
  }
  return {
    tenant: v.tenant,
    signatureSecret: v.signature_secret,
    applicationId: v.application_id,
    contentType: v.content_type,
    signatureToleranceS: v.signature_tolerance_s,
    publicUrl,
    privateKey: v.private_key,
    apiBaseUrl: v.api_base_url,
  };
}

/** The token a Vonage WebSocket's URI must carry for a session. */
export function vonageStreamToken(signatureSecret: string, sessionId: string): string {
  return carrierStreamToken('vonage', signatureSecret, sessionId);
}

/** What Vonage's routes work with. */
export interface VonageRouteDeps {
  readonly manager: SessionManager;
  readonly repos: Repositories;
  readonly clock: Clock;
  readonly vonage: VonageSettings;
  readonly onError?: (error: unknown) => void;
}

/** Vonage's routes at the server's root: the answer webhook (GET and POST) and the WebSocket. */
export function vonageRoutes(deps: VonageRouteDeps): RouteModule {
  return {
    name: 'vonage',
    mount({ route, socket }) {
      for (const method of ['get', 'post'] as const) {
        route({
          method,
          path: VONAGE_ANSWER_PATH,
          at: 'root',
          auth: 'none',
          summary:
            "Vonage's answer webhook: creates a session and answers an NCCO connecting the call to a WebSocket.",
          description: `${method === 'get' ? 'The call in the query (`to`, `from`, `uuid`), as Vonage sends it by default' : 'The call as JSON (`to`, `from`, `uuid`), when the application sets the answer method to POST'}; a signed webhook: the Authorization Bearer JWT is checked against telephony.vonage.signature_secret (HS256; its payload_hash against the body; iat within signature_tolerance_s; application_id when configured) — 403 when it does not match. The session runs the assistant named by \`?assistant_id=\`, else the one the called number is bound to, else the server defaults.`,
          tags: ['telephony'],
          contentType: 'application/json',
          query: callWebhookQuery,
          errors: ['FORBIDDEN', 'TENANT_NOT_FOUND', 'NOT_FOUND', 'VALIDATION_FAILED'],
          handler: (c, { query }) => answerWebhook(c, deps, query.assistant_id),
        });
      }
      socket({
        path: VONAGE_STREAM_PATH,
        at: 'root',
        auth: 'none',
        summary:
          "Vonage's WebSocket: binary L16 8/16 kHz frames of 20 ms both ways, JSON events; the URI carries the call's session and stream token (closed with 4401 at websocket:connected without a valid one).",
        tags: ['telephony'],
        holder: (request) => streamUrlHolder(deps.repos, request.url),
        connect: (ws, request) => {
          attachVonageStream(deps, ws, request);
        },
      });
    },
  };
}

/** A number as Vonage writes it (`447700900000`) in E.164 (`+447700900000`); other ids as they are. */
function e164(value: unknown): string {
  if (typeof value !== 'string') return '';
  return /^\d{6,15}$/.test(value) ? `+${value}` : value;
}

/** The call's numbers and id: from the query (GET) or the JSON body (POST). */
function callOf(
  method: string,
  url: URL,
  body: string,
): { from: string; to: string; callId: string } {
  let fields: Record<string, unknown> = Object.fromEntries(url.searchParams);
  if (method === 'POST') {
    let value: unknown;
    try {
      value = JSON.parse(body);
    } catch (cause) {
      throw new VoiceError('VALIDATION_FAILED', {
        message: 'The Vonage answer webhook body is not JSON.',
        cause,
      });
    }
    fields = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  }
  const uuid = fields['uuid'];
  return {
    from: e164(fields['from']),
    to: e164(fields['to']),
    callId: typeof uuid === 'string' ? uuid : '',
  };
}

/**
 * The body of a webhook Vonage sent ('' for a GET), once its signed-webhook token is checked;
 * throws `FORBIDDEN` when it is missing, stale or does not match.
 */
export async function signedVonageBody(
  c: ControlContext,
  vonage: Pick<VonageSettings, 'signatureSecret' | 'signatureToleranceS' | 'applicationId'>,
  clock: Clock,
): Promise<string> {
  const body = c.req.method === 'POST' ? await c.req.text() : '';
  const result = verifyVonageSignature({
    signatureSecret: vonage.signatureSecret,
    authorization: c.req.header('authorization'),
    body,
    nowMs: clock.now(),
    toleranceS: vonage.signatureToleranceS,
    applicationId: vonage.applicationId,
  });
  if (result.kind !== 'valid') {
    throw new VoiceError('FORBIDDEN', {
      message: `the Vonage webhook token is ${result.reason === 'missing' ? 'missing' : result.reason === 'stale' ? 'too old or too new' : 'not valid'}`,
      details: { reason: 'vonage_signature', signature: result.reason },
    });
  }
  return body;
}

/** The NCCO connecting a call to the WebSocket of session `row` (with its stream token). */
export function vonageSessionNcco(
  vonage: Pick<VonageSettings, 'signatureSecret' | 'publicUrl' | 'contentType'>,
  row: { readonly id: string; readonly tenant_id: string },
  callUuid?: string,
): [VonageConnectAction] {
  const uri = new URL(publicStreamUrl(vonage.publicUrl, VONAGE_STREAM_PATH));
  uri.searchParams.set('session_id', row.id);
  uri.searchParams.set('tenant_id', row.tenant_id);
  uri.searchParams.set('token', vonageStreamToken(vonage.signatureSecret, row.id));
  return vonageConnectNcco({
    uri: uri.toString(),
    contentType: vonage.contentType,
    headers: { session_id: row.id, ...(callUuid === undefined ? {} : { call_uuid: callUuid }) },
  });
}

async function answerWebhook(
  c: ControlContext,
  deps: VonageRouteDeps,
  assistantId: Id<'assistant'> | undefined,
): Promise<Response> {
  const body = await signedVonageBody(c, deps.vonage, deps.clock);
  const call = callOf(c.req.method, new URL(c.req.url), body);
  const row = await createCallSession({
    manager: deps.manager,
    repos: deps.repos,
    tenantSlug: deps.vonage.tenant,
    channel: 'vonage',
    ...call,
    assistantId,
  });
  return c.json(vonageSessionNcco(deps.vonage, row, call.callId), 200);
}

/** Handles one upgraded connection to Vonage's WebSocket path. */
export function attachVonageStream(
  deps: Pick<VonageRouteDeps, 'manager' | 'clock' | 'vonage' | 'onError'>,
  ws: WebSocket,
  request: Pick<SocketRequest, 'url'>,
): void {
  attachCarrierStream<VonageStartInfo>(ws, {
    manager: deps.manager,
    clock: deps.clock,
    onError: deps.onError,
    createStream: (options) => createVonageMediaStream(options),
    credentials: () => credentialsFromQuery(request.url),
    expectedToken: (sessionId) => vonageStreamToken(deps.vonage.signatureSecret, sessionId),
    dtmfSource: 'carrier',
  });
}
