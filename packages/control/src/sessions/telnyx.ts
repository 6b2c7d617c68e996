/**
 * Telnyx on the server: the TeXML application's voice webhook (its Ed25519 signature
 * checked with the account's public key; a bad one is a 403 and starts nothing) answers
 * TeXML that connects the call to a bidirectional media stream; the stream
 * (`carrier-stream.ts`, shared by every carrier) carries PCMU or PCMA 8 kHz both ways, a
 * `mark` after every spoken segment whose return moves the playback position, and a
 * `clear` on barge-in. The stream's `start` must carry the call's stream token.
 */
import type { KeyObject } from 'node:crypto';
import type { WebSocket } from 'ws';
import type { Clock, Config } from '@prx-voice/core';
import {
  TELNYX_SIGNATURE_HEADER,
  TELNYX_TIMESTAMP_HEADER,
  createTelnyxMediaStream,
  telnyxPublicKey,
  texmlConnectStream,
  verifyTelnyxSignature,
} from '@prx-voice/transport';
import type { TelnyxCodec, TelnyxStartInfo } from '@prx-voice/transport';
import type { Repositories } from '@prx-voice/storage';
import { VoiceError } from '@prx-voice/types';
import type { Id } from '@prx-voice/types';
import type { ControlContext } from '../http/context.js';
import type { RouteModule } from '../http/route-module.js';
import { callWebhookQuery, createCallSession, publicStreamUrl } from './call-session.js';
import {
  attachCarrierStream,
  carrierStreamToken,
  credentialsFromClientState,
  credentialsFromParameters,
} from './carrier-stream.js';
import type { SessionManager } from './session-manager.js';
import { sessionStreamRoute } from './session-holder.js';

/** Path of Telnyx's voice webhook. */
export const TELNYX_VOICE_PATH = '/telephony/telnyx/voice';
/** Path of Telnyx's media-stream WebSocket. */
export const TELNYX_STREAM_PATH = '/telephony/telnyx/stream';

/** The Telnyx settings of the server (`telephony.telnyx`). */
export interface TelnyxSettings {
  /** Slug of the tenant Telnyx calls belong to. */
  readonly tenant: string;
  /** The account's public key: checks webhook signatures. */
  readonly publicKey: KeyObject;
  /** The account's API key: signs the per-call stream tokens. */
  readonly apiKey: string;
  readonly codec: TelnyxCodec;
  /** How far a webhook's timestamp may be from now, in seconds. */
  readonly signatureToleranceS: number;
  /** The server's public URL as Telnyx reaches it, for the stream URL. */
  readonly publicUrl: string;
  /** Telnyx's REST API (`api_base_url`): outbound calls and hang-up. */
  readonly apiBaseUrl: string;
  /** The Call Control application outbound calls are placed from (`connection_id`). */
  readonly connectionId: string | undefined;
  /** The stream URL names its session (`/telephony/telnyx/stream/{session_id}`): set with `server.workers`. */
  readonly sessionInStreamUrl?: boolean;
}

/**
 * Telnyx is on when `telephony.telnyx` is configured; it needs `server.public_url`
 * (else `CONFIG_INVALID` naming it).
 */
export function telnyxSettings(config: Config): TelnyxSettings | undefined {
  const t = config.telephony.telnyx;
  if (t === undefined) return undefined;
  const publicUrl = config.server.public_url;
  if (publicUrl === undefined) {
    throw new VoiceError('CONFIG_INVALID', {
      message:
        'Invalid server.public_url: telephony.telnyx needs the URL Telnyx reaches the server at',
      details: { key: 'server.public_url' },
    });
  }
  return {
    tenant: t.tenant,
    publicKey: telnyxPublicKey(t.public_key),
    apiKey: t.api_key,
    codec: t.codec,
    signatureToleranceS: t.signature_tolerance_s,
    publicUrl,
    apiBaseUrl: t.api_base_url,
    connectionId: t.connection_id,
    sessionInStreamUrl: config.server.workers !== 1,
  };
}

/** The token a Telnyx stream's `start` must carry for a session (a TeXML `<Parameter>`). */
export function telnyxStreamToken(apiKey: string, sessionId: string): string {
  return carrierStreamToken('telnyx', apiKey, sessionId);
}

/** What Telnyx's routes work with. */
export interface TelnyxRouteDeps {
  readonly manager: SessionManager;
  readonly repos: Repositories;
  readonly clock: Clock;
  readonly telnyx: TelnyxSettings;
  readonly onError?: (error: unknown) => void;
}

/** Telnyx's routes at the server's root: the voice webhook and the media-stream WebSocket. */
export function telnyxRoutes(deps: TelnyxRouteDeps): RouteModule {
  return {
    name: 'telnyx',
    mount({ route, socket }) {
      route({
        method: 'post',
        path: TELNYX_VOICE_PATH,
        at: 'root',
        auth: 'none',
        summary:
          "Telnyx's TeXML voice webhook: creates a session and answers TeXML connecting the call to a bidirectional media stream.",
        description:
          'Form-encoded (or JSON) as Telnyx sends it; the telnyx-signature-ed25519 and telnyx-timestamp headers are checked against telephony.telnyx.public_key (403 when they do not match). The session runs the assistant named by `?assistant_id=`, else the one the called number (`To`) is bound to, else the server defaults.',
        tags: ['telephony'],
        contentType: 'text/xml',
        query: callWebhookQuery,
        errors: ['FORBIDDEN', 'TENANT_NOT_FOUND', 'NOT_FOUND', 'VALIDATION_FAILED'],
        handler: (c, { query }) => voiceWebhook(c, deps, query.assistant_id),
      });
      socket({
        path: TELNYX_STREAM_PATH,
        at: 'root',
        auth: 'none',
        summary:
          "Telnyx's media stream: PCMU or PCMA 8 kHz both ways; the start message carries the stream token (closed with 4401 without a valid one).",
        tags: ['telephony'],
        connect: (ws) => attachTelnyxStream(deps, ws),
      });
      socket(
        sessionStreamRoute({
          path: TELNYX_STREAM_PATH,
          carrier: 'Telnyx',
          repos: deps.repos,
          connect: (ws) => attachTelnyxStream(deps, ws),
        }),
      );
    },
  };
}

/** The call's numbers and id from a TeXML webhook body (form-encoded, or JSON). */
function callOf(body: string, contentType: string): { from: string; to: string; callId: string } {
  if (contentType.includes('json')) {
    let value: unknown;
    try {
      value = JSON.parse(body);
    } catch (cause) {
      throw new VoiceError('VALIDATION_FAILED', {
        message: 'The Telnyx webhook body is not JSON.',
        cause,
      });
    }
    const record = (v: unknown): Record<string, unknown> =>
      typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};
    const top = record(value);
    const payload = record(record(top['data'])['payload']);
    const text = (...values: unknown[]): string =>
      values.find((v): v is string => typeof v === 'string') ?? '';
    return {
      from: text(top['From'], payload['from']),
      to: text(top['To'], payload['to']),
      callId: text(top['CallSid'], payload['call_control_id']),
    };
  }
  const form = new URLSearchParams(body);
  return {
    from: form.get('From') ?? '',
    to: form.get('To') ?? '',
    callId: form.get('CallSid') ?? '',
  };
}

async function voiceWebhook(
  c: ControlContext,
  deps: TelnyxRouteDeps,
  assistantId: Id<'assistant'> | undefined,
): Promise<Response> {
  const body = await c.req.text();
  const result = verifyTelnyxSignature({
    publicKey: deps.telnyx.publicKey,
    signature: c.req.header(TELNYX_SIGNATURE_HEADER),
    timestamp: c.req.header(TELNYX_TIMESTAMP_HEADER),
    body,
    nowMs: deps.clock.now(),
    toleranceS: deps.telnyx.signatureToleranceS,
  });
  if (result.kind !== 'valid') {
    throw new VoiceError('FORBIDDEN', {
      message: `the Telnyx request signature is ${result.reason === 'stale' ? 'too old or too new' : result.reason === 'missing' ? 'missing' : 'not valid'}`,
      details: { reason: 'telnyx_signature', signature: result.reason },
    });
  }
  const call = callOf(body, c.req.header('content-type') ?? '');
  const row = await createCallSession({
    manager: deps.manager,
    repos: deps.repos,
    tenantSlug: deps.telnyx.tenant,
    channel: 'telnyx',
    ...call,
    assistantId,
  });
  const texml = texmlConnectStream({
    streamUrl: publicStreamUrl(
      deps.telnyx.publicUrl,
      TELNYX_STREAM_PATH,
      deps.telnyx.sessionInStreamUrl === true ? row.id : undefined,
    ),
    codec: deps.telnyx.codec,
    parameters: {
      session_id: row.id,
      tenant_id: row.tenant_id,
      stream_token: telnyxStreamToken(deps.telnyx.apiKey, row.id),
    },
  });
  return c.body(texml, 200, { 'content-type': 'text/xml; charset=utf-8' });
}

/** Handles one upgraded connection to Telnyx's media-stream path. */
export function attachTelnyxStream(
  deps: Pick<TelnyxRouteDeps, 'manager' | 'clock' | 'telnyx' | 'onError'>,
  ws: WebSocket,
): void {
  attachCarrierStream<TelnyxStartInfo>(ws, {
    manager: deps.manager,
    clock: deps.clock,
    onError: deps.onError,
    createStream: (options) => createTelnyxMediaStream(options),
    // TeXML puts the credentials in <Parameter>s; a dialled call (POST /calls) in client_state.
    credentials: (start) =>
      start.customParameters['session_id'] === undefined && start.clientState !== undefined
        ? credentialsFromClientState(start.clientState)
        : credentialsFromParameters(start.customParameters),
    expectedToken: (sessionId) => telnyxStreamToken(deps.telnyx.apiKey, sessionId),
    dtmfSource: 'carrier',
  });
}
