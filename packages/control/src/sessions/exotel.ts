/**
 * Exotel on the server. Exotel's Voicebot applet opens a WebSocket to a URL configured in
 * the flow; Exotel authenticates with Basic credentials written into that URL (sent as an
 * `Authorization` header) or from an allow-listed address. Two ways in:
 * - the applet's URL is `https://KEY:TOKEN@host/telephony/exotel/voice` (Exotel's
 *   dynamic URL): Exotel asks it per call, the session is created then, and the answer's
 *   `wss://…/telephony/exotel/stream?session_id=…&tenant_id=…&stream_token=…` comes back in
 *   `start.custom_parameters`, the stream token checked as every carrier's is;
 * - the applet's URL is the stream itself (`wss://KEY:TOKEN@host/telephony/exotel/stream`):
 *   the call's session is created from the `start` of the authenticated connection.
 * A connection neither authenticated nor carrying a valid stream token is closed with 4401.
 * The stream carries PCM16 at 8 (or 16) kHz both ways, in Exotel's payload sizes.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { WebSocket } from 'ws';
import { z } from 'zod';
import type { Clock, Config } from '@prx-voice/core';
import {
  createExotelMediaStream,
  createIpAllowList,
  verifyExotelBasicAuth,
} from '@prx-voice/transport';
import type { ExotelStartInfo, IpAllowList } from '@prx-voice/transport';
import type { Repositories } from '@prx-voice/storage';
import { VoiceError } from '@prx-voice/types';
import { peerOf } from '../admin/audit-sink.js';
import type { ControlContext } from '../http/context.js';
import type { RouteModule } from '../http/route-module.js';
import { idSchema } from '../http/schemas.js';
import { createCallSession, publicStreamUrl } from './call-session.js';
import {
  attachCarrierStream,
  carrierStreamToken,
  credentialsFromParameters,
} from './carrier-stream.js';
import type { ExotelStreams } from './exotel-streams.js';
import type { SessionManager } from './session-manager.js';
import { streamUrlHolder } from './session-holder.js';

/** Path of the dynamic stream URL Exotel's applet asks per call. */
export const EXOTEL_STREAM_URL_PATH = '/telephony/exotel/voice';
/** Path of Exotel's media-stream WebSocket. */
export const EXOTEL_STREAM_PATH = '/telephony/exotel/stream';

/** The Exotel settings of the server (`telephony.exotel`). */
export interface ExotelSettings {
  /** Slug of the tenant Exotel calls belong to when the called number is bound nowhere. */
  readonly tenant: string;
  /** The Basic credentials Exotel presents (API key and token); the token signs stream tokens. */
  readonly apiKey: string;
  readonly apiToken: string;
  /** Exotel's addresses, accepted without credentials. */
  readonly allowedIps: IpAllowList;
  readonly sampleRate: 8000 | 16000;
  /** The server's public URL as Exotel reaches it, for the stream URL. */
  readonly publicUrl: string;
  /** The account outbound calls are placed from (`account_sid`); none: no outbound calls. */
  readonly accountSid?: string | undefined;
  /** Exotel's REST API (`api_base_url`). */
  readonly apiBaseUrl?: string | undefined;
}

/**
 * Exotel is on when `telephony.exotel` is configured; it needs `server.public_url`
 * (else `CONFIG_INVALID` naming it).
 */
export function exotelSettings(config: Config): ExotelSettings | undefined {
  const e = config.telephony.exotel;
  if (e === undefined) return undefined;
  const publicUrl = config.server.public_url;
  if (publicUrl === undefined) {
    throw new VoiceError('CONFIG_INVALID', {
      message:
        'Invalid server.public_url: telephony.exotel needs the URL Exotel reaches the server at',
      details: { key: 'server.public_url' },
    });
  }
  return {
    tenant: e.tenant,
    apiKey: e.api_key,
    apiToken: e.api_token,
    allowedIps: createIpAllowList(e.allowed_ips),
    sampleRate: e.sample_rate === 16000 ? 16000 : 8000,
    publicUrl,
    accountSid: e.account_sid,
    apiBaseUrl: e.api_base_url,
  };
}

/** The token an Exotel stream's `start` must carry for a session (a query parameter of its URL). */
export function exotelStreamToken(apiToken: string, sessionId: string): string {
  return carrierStreamToken('exotel', apiToken, sessionId);
}

/** Whether a request comes from Exotel: its Basic credentials, or an allow-listed address. */
export function isFromExotel(
  settings: Pick<ExotelSettings, 'apiKey' | 'apiToken' | 'allowedIps'>,
  headers: IncomingHttpHeaders | { authorization?: string | undefined },
  remoteAddress: string | undefined,
): boolean {
  return (
    verifyExotelBasicAuth(headers.authorization, settings.apiKey, settings.apiToken) ||
    settings.allowedIps.allows(remoteAddress)
  );
}

/**
 * The stream URL of a session: the stream path with the session, tenant and stream token as
 * query parameters (Exotel echoes them in `start.custom_parameters`) and the rate when not 8 kHz.
 */
export function exotelStreamUrl(
  settings: Pick<ExotelSettings, 'publicUrl' | 'apiToken' | 'sampleRate'>,
  row: { readonly id: string; readonly tenant_id: string },
): string {
  const url = new URL(publicStreamUrl(settings.publicUrl, EXOTEL_STREAM_PATH));
  url.searchParams.set('session_id', row.id);
  url.searchParams.set('tenant_id', row.tenant_id);
  url.searchParams.set('stream_token', exotelStreamToken(settings.apiToken, row.id));
  if (settings.sampleRate !== 8000)
    url.searchParams.set('sample-rate', String(settings.sampleRate));
  return url.toString();
}

/** What Exotel's routes work with. */
export interface ExotelRouteDeps {
  readonly manager: SessionManager;
  readonly repos: Repositories;
  readonly clock: Clock;
  readonly exotel: ExotelSettings;
  /** The open streams by call, so an outbound call can be ended by closing its stream. */
  readonly streams?: ExotelStreams | undefined;
  readonly onError?: (error: unknown) => void;
}

/** The query of Exotel's dynamic-URL request (the call's details, as Exotel's applets send them). */
const streamUrlQuery = z.object({
  CallSid: z.string().max(256).optional().describe("Exotel's id of the call."),
  CallFrom: z.string().max(64).optional().describe('The caller.'),
  CallTo: z.string().max(64).optional().describe('The number called (an ExoPhone).'),
  From: z.string().max(64).optional().describe('The caller (older applets).'),
  To: z.string().max(64).optional().describe('The number called (older applets).'),
  assistant_id: idSchema('assistant')
    .optional()
    .describe('The assistant the call runs (else the one bound to the called number).'),
});

/** Exotel's routes at the server's root: the dynamic stream URL and the media-stream WebSocket. */
export function exotelRoutes(deps: ExotelRouteDeps): RouteModule {
  return {
    name: 'exotel',
    mount({ route, socket }) {
      route({
        method: 'get',
        path: EXOTEL_STREAM_URL_PATH,
        at: 'root',
        auth: 'none',
        summary:
          "Exotel's dynamic stream URL: creates the call's session and answers {url} — the media stream with the session and its stream token.",
        description:
          "Configure the Voicebot applet's URL as https://API_KEY:API_TOKEN@host/telephony/exotel/voice (Exotel sends the credentials as Basic auth) or allow-list Exotel's addresses (telephony.exotel.allowed_ips); anything else is a 403 and starts nothing.",
        tags: ['telephony'],
        query: streamUrlQuery,
        errors: ['FORBIDDEN', 'TENANT_NOT_FOUND', 'NOT_FOUND', 'VALIDATION_FAILED'],
        handler: (c, { query }) => streamUrl(c, deps, query),
      });
      route({
        method: 'post',
        path: EXOTEL_STREAM_URL_PATH,
        at: 'root',
        auth: 'none',
        summary:
          "Exotel's dynamic stream URL, asked by POST (the same query parameters): creates the call's session and answers {url} — the media stream with the session and its stream token.",
        description:
          "Configure the Voicebot applet's URL as https://API_KEY:API_TOKEN@host/telephony/exotel/voice (Exotel sends the credentials as Basic auth) or allow-list Exotel's addresses (telephony.exotel.allowed_ips); anything else is a 403 and starts nothing.",
        tags: ['telephony'],
        query: streamUrlQuery,
        errors: ['FORBIDDEN', 'TENANT_NOT_FOUND', 'NOT_FOUND', 'VALIDATION_FAILED'],
        handler: (c, { query }) => streamUrl(c, deps, query),
      });
      socket({
        path: EXOTEL_STREAM_PATH,
        at: 'root',
        auth: 'none',
        summary:
          "Exotel's Voicebot stream: PCM16 8/16 kHz both ways; Basic credentials (or an allow-listed address) or the stream token of /telephony/exotel/voice's URL (closed with 4401 without either).",
        tags: ['telephony'],
        holder: (request) => streamUrlHolder(deps.repos, request.url),
        connect: (ws, request) =>
          attachExotelStream(
            deps,
            ws,
            isFromExotel(deps.exotel, request.headers, request.remoteAddress),
          ),
      });
    },
  };
}

async function streamUrl(
  c: ControlContext,
  deps: ExotelRouteDeps,
  query: z.output<typeof streamUrlQuery>,
): Promise<Response> {
  const authorization = c.req.header('authorization');
  if (!isFromExotel(deps.exotel, { authorization }, peerOf(c) ?? undefined)) {
    throw new VoiceError('FORBIDDEN', {
      message: 'the request carries neither Exotel credentials nor comes from an allowed address',
      details: { reason: 'exotel_auth' },
    });
  }
  const row = await createCallSession({
    manager: deps.manager,
    repos: deps.repos,
    tenantSlug: deps.exotel.tenant,
    channel: 'exotel',
    from: query.CallFrom ?? query.From ?? '',
    to: query.CallTo ?? query.To ?? '',
    callId: query.CallSid ?? '',
    assistantId: query.assistant_id,
  });
  return c.json({ url: exotelStreamUrl(deps.exotel, row) });
}

/**
 * Handles one upgraded connection to Exotel's media-stream path; `fromExotel`: the upgrade
 * carried Exotel's credentials (or came from an allowed address), so a `start` naming no
 * session gets one created for its call.
 */
export function attachExotelStream(
  deps: Pick<ExotelRouteDeps, 'manager' | 'repos' | 'clock' | 'exotel' | 'streams' | 'onError'>,
  ws: WebSocket,
  fromExotel: boolean,
): void {
  attachCarrierStream<ExotelStartInfo>(ws, {
    manager: deps.manager,
    clock: deps.clock,
    onError: deps.onError,
    createStream: (options) => createExotelMediaStream(options),
    credentials: (start) => credentialsFromParameters(start.customParameters),
    expectedToken: (sessionId) => exotelStreamToken(deps.exotel.apiToken, sessionId),
    dtmfSource: 'carrier',
    onAttached: (start) => {
      const streams = deps.streams;
      if (streams !== undefined) {
        const release = streams.register(start.callSid, () => ws.close(1000, 'call ended'));
        ws.once('close', release);
      }
      return {};
    },
    ...(fromExotel
      ? {
          createSession: (start: ExotelStartInfo) =>
            createCallSession({
              manager: deps.manager,
              repos: deps.repos,
              tenantSlug: deps.exotel.tenant,
              channel: 'exotel',
              from: start.from ?? '',
              to: start.to ?? '',
              callId: start.callSid,
              assistantId: undefined,
            }),
        }
      : {}),
  });
}
