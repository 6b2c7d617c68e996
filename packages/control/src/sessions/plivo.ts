/**
 * Plivo on the server: the application's answer webhook (its V3 signature checked with the
 * account's auth token; a bad one is a 403 and starts nothing) answers Plivo XML that
 * connects the call to a bidirectional audio stream; the stream (`carrier-stream.ts`,
 * shared by every carrier) carries µ-law 8 kHz or L16 8/16 kHz both ways, a `checkpoint`
 * after every spoken segment whose `playedStream` moves the playback position, and
 * `clearAudio` on barge-in. The stream URL carries the call's session and stream token;
 * Plivo's `start` is refused (4401) unless the token is the session's.
 */
import type { WebSocket } from 'ws';
import type { Clock, Config } from '@prx-voice/core';
import {
  PLIVO_NONCE_HEADER,
  PLIVO_SIGNATURE_HEADER,
  createPlivoMediaStream,
  plivoParams,
  plivoXmlStream,
  verifyPlivoSignature,
} from '@prx-voice/transport';
import type { PlivoContentType, PlivoStartInfo } from '@prx-voice/transport';
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

/** Path of Plivo's answer webhook. */
export const PLIVO_ANSWER_PATH = '/telephony/plivo/voice';
/** Path of Plivo's audio-stream WebSocket. */
export const PLIVO_STREAM_PATH = '/telephony/plivo/stream';

/** The Plivo settings of the server (`telephony.plivo`). */
export interface PlivoSettings {
  /** Slug of the tenant Plivo calls belong to. */
  readonly tenant: string;
  /** The account's auth token: checks webhook signatures and signs the per-call stream tokens. */
  readonly authToken: string;
  readonly contentType: PlivoContentType;
  /** The server's public URL as Plivo reaches it: the signed URL and the stream URL. */
  readonly publicUrl: string;
  /** The account's Auth ID: with it, Plivo places outbound calls. */
  readonly authId: string | undefined;
  /** Plivo's REST API. */
  readonly apiBaseUrl: string;
}

/**
 * Plivo is on when `telephony.plivo` is configured; it needs `server.public_url` (else
 * `CONFIG_INVALID` naming it).
 */
export function plivoSettings(config: Config): PlivoSettings | undefined {
  const p = config.telephony.plivo;
  if (p === undefined) return undefined;
  const publicUrl = config.server.public_url;
  if (publicUrl === undefined) {
    throw new VoiceError('CONFIG_INVALID', {
      message:
        'Invalid server.public_url: telephony.plivo needs the URL Plivo reaches the server at',
      details: { key: 'server.public_url' },
    });
  }
  return {
    tenant: p.tenant,
    authToken: p.auth_token,
    contentType: p.content_type,
    publicUrl,
    authId: p.auth_id,
    apiBaseUrl: p.api_base_url,
  };
}

/** The token a Plivo stream's URL must carry for a session. */
export function plivoStreamToken(authToken: string, sessionId: string): string {
  return carrierStreamToken('plivo', authToken, sessionId);
}

/** What Plivo's routes work with. */
export interface PlivoRouteDeps {
  readonly manager: SessionManager;
  readonly repos: Repositories;
  readonly clock: Clock;
  readonly plivo: PlivoSettings;
  readonly onError?: (error: unknown) => void;
}

/** Plivo's routes at the server's root: the answer webhook and the audio-stream WebSocket. */
export function plivoRoutes(deps: PlivoRouteDeps): RouteModule {
  return {
    name: 'plivo',
    mount({ route, socket }) {
      route({
        method: 'post',
        path: PLIVO_ANSWER_PATH,
        at: 'root',
        auth: 'none',
        summary:
          "Plivo's answer webhook: creates a session and answers Plivo XML connecting the call to a bidirectional audio stream.",
        description:
          'Form-encoded as Plivo sends it; the X-Plivo-Signature-V3 and X-Plivo-Signature-V3-Nonce headers are checked against telephony.plivo.auth_token over server.public_url + this path (403 when they do not match). The session runs the assistant named by `?assistant_id=`, else the one the called number (`To`) is bound to, else the server defaults.',
        tags: ['telephony'],
        contentType: 'text/xml',
        query: callWebhookQuery,
        errors: ['FORBIDDEN', 'TENANT_NOT_FOUND', 'NOT_FOUND', 'VALIDATION_FAILED'],
        handler: (c, { query }) => answerWebhook(c, deps, query.assistant_id),
      });
      socket({
        path: PLIVO_STREAM_PATH,
        at: 'root',
        auth: 'none',
        summary:
          "Plivo's audio stream: µ-law 8 kHz or L16 8/16 kHz both ways; the URL carries the call's session and stream token (closed with 4401 at start without a valid one).",
        tags: ['telephony'],
        holder: (request) => streamUrlHolder(deps.repos, request.url),
        connect: (ws, request) => {
          attachPlivoStream(deps, ws, request);
        },
      });
    },
  };
}

/**
 * The form of a webhook Plivo posted to `path` (query included), once its V3 signature is
 * checked over the public URL; throws `FORBIDDEN` when it does not match.
 */
export async function signedPlivoForm(
  c: ControlContext,
  plivo: Pick<PlivoSettings, 'authToken' | 'publicUrl'>,
  path: string,
): Promise<URLSearchParams> {
  const form = new URLSearchParams(await c.req.text());
  const url = `${plivo.publicUrl.replace(/\/$/, '')}${path}${new URL(c.req.url).search}`;
  const result = verifyPlivoSignature({
    authToken: plivo.authToken,
    method: 'POST',
    url,
    form: plivoParams(form),
    signature: c.req.header(PLIVO_SIGNATURE_HEADER),
    nonce: c.req.header(PLIVO_NONCE_HEADER),
  });
  if (result.kind !== 'valid') {
    throw new VoiceError('FORBIDDEN', {
      message: `the Plivo request signature is ${result.reason === 'missing' ? 'missing' : 'not valid'}`,
      details: { reason: 'plivo_signature', signature: result.reason },
    });
  }
  return form;
}

/** The Plivo XML connecting a call to the audio stream of session `row` (with its stream token). */
export function plivoSessionXml(
  plivo: Pick<PlivoSettings, 'authToken' | 'publicUrl' | 'contentType'>,
  row: { readonly id: string; readonly tenant_id: string },
): string {
  const streamUrl = new URL(publicStreamUrl(plivo.publicUrl, PLIVO_STREAM_PATH));
  streamUrl.searchParams.set('session_id', row.id);
  streamUrl.searchParams.set('tenant_id', row.tenant_id);
  streamUrl.searchParams.set('token', plivoStreamToken(plivo.authToken, row.id));
  return plivoXmlStream({ streamUrl: streamUrl.toString(), contentType: plivo.contentType });
}

async function answerWebhook(
  c: ControlContext,
  deps: PlivoRouteDeps,
  assistantId: Id<'assistant'> | undefined,
): Promise<Response> {
  const form = await signedPlivoForm(c, deps.plivo, PLIVO_ANSWER_PATH);
  const row = await createCallSession({
    manager: deps.manager,
    repos: deps.repos,
    tenantSlug: deps.plivo.tenant,
    channel: 'plivo',
    from: form.get('From') ?? '',
    to: form.get('To') ?? '',
    callId: form.get('CallUUID') ?? '',
    assistantId,
  });
  const xml = plivoSessionXml(deps.plivo, row);
  return c.body(xml, 200, { 'content-type': 'text/xml; charset=utf-8' });
}

/** Handles one upgraded connection to Plivo's audio-stream path. */
export function attachPlivoStream(
  deps: Pick<PlivoRouteDeps, 'manager' | 'clock' | 'plivo' | 'onError'>,
  ws: WebSocket,
  request: Pick<SocketRequest, 'url'>,
): void {
  attachCarrierStream<PlivoStartInfo>(ws, {
    manager: deps.manager,
    clock: deps.clock,
    onError: deps.onError,
    createStream: (options) => createPlivoMediaStream(options),
    credentials: () => credentialsFromQuery(request.url),
    expectedToken: (sessionId) => plivoStreamToken(deps.plivo.authToken, sessionId),
    dtmfSource: 'carrier',
  });
}
