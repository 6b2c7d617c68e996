/**
 * Twilio Media Streams on the server: the voice webhook (signature checked
 * with the account's auth token) answers TwiML that connects the call to the
 * media-stream WebSocket; the stream (`carrier-stream.ts`, shared by every carrier)
 * carries µ-law 8 kHz both ways, a `mark` after every spoken segment whose echo moves
 * the playback position, and a `clear` on barge-in; once attached, the call can be
 * transferred through Twilio's REST API.
 */
import type { WebSocket } from 'ws';
import { z } from 'zod';
import { E164_PATTERN } from '@prx-voice/event';
import type { Clock, Config } from '@prx-voice/core';
import {
  TWILIO_API_BASE_URL,
  createTwilioMediaStream,
  twimlConnectStream,
  verifyTwilioSignature,
} from '@prx-voice/transport';
import type { TwilioStartInfo } from '@prx-voice/transport';
import type { Repositories } from '@prx-voice/storage';
import { VoiceError } from '@prx-voice/types';
import type { Id } from '@prx-voice/types';
import type { ControlContext } from '../http/context.js';
import type { RouteModule } from '../http/route-module.js';
import { TWILIO_REQUEST_TIMEOUT_MS, twilioHandoff } from './handoff-twilio.js';
import type { SessionManager } from './session-manager.js';
import { callWebhookQuery, createCallSession, publicStreamUrl } from './call-session.js';
import {
  CARRIER_MAX_BACKLOG_BYTES,
  CARRIER_START_DEADLINE_MS,
  attachCarrierStream,
  carrierStreamToken,
  credentialsFromParameters,
} from './carrier-stream.js';
import { sessionStreamRoute } from './session-holder.js';

/** The Twilio settings of the server (`telephony.twilio`, formerly `adapters.providers.twilio`). */
export interface TwilioSettings {
  /** The account's auth token: checks webhook signatures, signs stream tokens, authenticates REST calls. */
  readonly authToken: string;
  /** Slug of the tenant Twilio calls belong to. */
  readonly tenant: string;
  /** The server's public URL as Twilio reaches it (`https://…`), for signatures and the stream URL. */
  readonly publicUrl: string;
  /** Twilio's REST API (`api_base_url`, default `https://api.twilio.com`): call transfers. */
  readonly apiBaseUrl?: string;
  /** The account SID for REST calls (`account_sid`; absent: the one each stream's `start` names). */
  readonly accountSid?: string | undefined;
  /** How long a REST call may take (`request_timeout_ms`, default 10000). */
  readonly requestTimeoutMs?: number;
  /** Seconds a transfer rings before giving up (`dial_timeout_s`; absent: Twilio's 30). */
  readonly dialTimeoutS?: number | undefined;
  /** The caller ID a transfer shows (`caller_id`; absent: Twilio's default, the caller's number). */
  readonly callerId?: string | undefined;
  /**
   * The stream URL names its session (`/telephony/twilio/stream/{session_id}`): set with
   * `server.workers`, so the connection reaches the worker holding the session.
   */
  readonly sessionInStreamUrl?: boolean;
}

const twilioRestSchema = z.object({
  api_base_url: z.url({ protocol: /^https?$/ }).default(TWILIO_API_BASE_URL),
  account_sid: z
    .string()
    .regex(/^AC[0-9a-fA-F]{32}$/, { error: 'expected an account SID (AC + 32 hex digits)' })
    .optional(),
  request_timeout_ms: z.number().int().min(100).max(60_000).default(TWILIO_REQUEST_TIMEOUT_MS),
  dial_timeout_s: z.number().int().min(5).max(600).optional(),
  caller_id: z
    .string()
    .regex(E164_PATTERN, { error: 'expected an E.164 number such as +14155550100' })
    .optional(),
});

/**
 * Twilio is on when `telephony.twilio` (or, deprecated, `adapters.providers.twilio` — then
 * `warn` is told) names a `tenant` (slug) and an `auth_token` (or `TWILIO_AUTH_TOKEN` is
 * set) and `server.public_url` is set. Its REST settings (`api_base_url`, `account_sid`,
 * `request_timeout_ms`, `dial_timeout_s`, `caller_id`) are checked: a bad one throws
 * `CONFIG_INVALID` naming the key.
 */
export function twilioSettings(
  config: Config,
  env: Readonly<Record<string, string | undefined>>,
  warn?: (message: string) => void,
): TwilioSettings | undefined {
  const modern = config.telephony.twilio;
  const legacy = config.adapters.providers['twilio'];
  const section = modern === undefined ? 'adapters.providers.twilio' : 'telephony.twilio';
  const t: Readonly<Record<string, unknown>> | undefined = modern ?? legacy;
  if (modern === undefined && legacy !== undefined) {
    warn?.(
      'adapters.providers.twilio is deprecated: move these settings to telephony.twilio (same keys)',
    );
  }
  const authToken =
    typeof t?.['auth_token'] === 'string' ? t['auth_token'] : env['TWILIO_AUTH_TOKEN'];
  const tenant = typeof t?.['tenant'] === 'string' ? t['tenant'] : undefined;
  const publicUrl = config.server.public_url;
  if (
    authToken === undefined ||
    authToken === '' ||
    tenant === undefined ||
    publicUrl === undefined
  )
    return undefined;
  const rest = twilioRestSchema.safeParse(t ?? {});
  if (!rest.success) {
    const issue = rest.error.issues[0];
    const key = `${section}.${issue?.path.join('.') ?? ''}`;
    throw new VoiceError('CONFIG_INVALID', {
      message: `Invalid ${key}: ${issue?.message ?? 'invalid value'}`,
      details: { key },
    });
  }
  const r = rest.data;
  return {
    authToken,
    tenant,
    publicUrl,
    apiBaseUrl: r.api_base_url,
    requestTimeoutMs: r.request_timeout_ms,
    ...(r.account_sid === undefined ? {} : { accountSid: r.account_sid }),
    ...(r.dial_timeout_s === undefined ? {} : { dialTimeoutS: r.dial_timeout_s }),
    ...(r.caller_id === undefined ? {} : { callerId: r.caller_id }),
    sessionInStreamUrl: config.server.workers !== 1,
  };
}

/** Path of the webhook and of the media stream. */
export const TWILIO_VOICE_PATH = '/telephony/twilio/voice';
/** Path of the media-stream WebSocket. */
export const TWILIO_STREAM_PATH = '/telephony/twilio/stream';

/** The token a stream's `start` must carry for a session (the TwiML puts it in a `<Parameter>`). */
export function streamToken(authToken: string, sessionId: string): string {
  return carrierStreamToken('twilio', authToken, sessionId);
}

/** What Twilio's routes work with. */
export interface TwilioRouteDeps {
  readonly manager: SessionManager;
  readonly repos: Repositories;
  readonly clock: Clock;
  readonly twilio: TwilioSettings;
  readonly onError?: (error: unknown) => void;
}

/**
 * Twilio's routes at the server's root: the voice webhook
 * `POST /telephony/twilio/voice` and the media-stream WebSocket.
 */
export function twilioRoutes(deps: TwilioRouteDeps): RouteModule {
  return {
    name: 'twilio',
    mount({ route, socket }) {
      route({
        method: 'post',
        path: TWILIO_VOICE_PATH,
        at: 'root',
        auth: 'none',
        summary:
          "Twilio's voice webhook: creates a session and answers TwiML connecting the call to the media stream.",
        description:
          'Form-encoded as Twilio sends it; the X-Twilio-Signature header is checked. The session runs the assistant named by `?assistant_id=` in the webhook URL, else the one the called number (`To`) is bound to (`phone_numbers`), else the server defaults.',
        tags: ['telephony'],
        contentType: 'text/xml',
        query: callWebhookQuery,
        errors: ['FORBIDDEN', 'TENANT_NOT_FOUND', 'NOT_FOUND', 'VALIDATION_FAILED'],
        handler: (c, { query }) => voiceWebhook(c, deps, query.assistant_id),
      });
      socket({
        path: TWILIO_STREAM_PATH,
        at: 'root',
        auth: 'none',
        summary:
          "Twilio's media stream: µ-law 8 kHz both ways; the start message carries the stream token.",
        tags: ['telephony'],
        connect: (ws) => attachTwilioStream(deps, ws),
      });
      socket(
        sessionStreamRoute({
          path: TWILIO_STREAM_PATH,
          carrier: 'Twilio',
          repos: deps.repos,
          connect: (ws) => attachTwilioStream(deps, ws),
        }),
      );
    },
  };
}

async function voiceWebhook(
  c: ControlContext,
  deps: TwilioRouteDeps,
  assistantId: Id<'assistant'> | undefined,
): Promise<Response> {
  const form = new URLSearchParams(await c.req.text());
  const url = `${deps.twilio.publicUrl.replace(/\/$/, '')}${TWILIO_VOICE_PATH}${new URL(c.req.url).search}`;
  const signature = c.req.header('x-twilio-signature') ?? '';
  if (!verifyTwilioSignature({ authToken: deps.twilio.authToken, signature, url, params: form })) {
    throw new VoiceError('FORBIDDEN', {
      message: 'the Twilio request signature does not match',
      details: { reason: 'twilio_signature' },
    });
  }
  const row = await createCallSession({
    manager: deps.manager,
    repos: deps.repos,
    tenantSlug: deps.twilio.tenant,
    channel: 'twilio',
    from: form.get('From') ?? '',
    to: form.get('To') ?? '',
    callId: form.get('CallSid') ?? '',
    assistantId,
  });
  const twiml = twimlConnectStream({
    streamUrl: publicStreamUrl(
      deps.twilio.publicUrl,
      TWILIO_STREAM_PATH,
      deps.twilio.sessionInStreamUrl === true ? row.id : undefined,
    ),
    parameters: {
      session_id: row.id,
      tenant_id: row.tenant_id,
      stream_token: streamToken(deps.twilio.authToken, row.id),
    },
  });
  return c.body(twiml, 200, { 'content-type': 'text/xml; charset=utf-8' });
}

/**
 * Outbound media allowed to wait in Twilio's socket before frames are dropped:
 * about a second of `media` messages (160 µ-law bytes as base64 in JSON, every 20 ms).
 */
export const TWILIO_MAX_BACKLOG_BYTES = CARRIER_MAX_BACKLOG_BYTES;

/**
 * How long a media-stream connection may stay open without a valid `start` (one carrying
 * a correct stream token) before it is closed with 4401.
 */
export const TWILIO_START_DEADLINE_MS = CARRIER_START_DEADLINE_MS;

/** Handles one upgraded connection to the media-stream path. */
export function attachTwilioStream(
  deps: Pick<TwilioRouteDeps, 'manager' | 'clock' | 'twilio' | 'onError'>,
  ws: WebSocket,
): void {
  attachCarrierStream<TwilioStartInfo>(ws, {
    manager: deps.manager,
    clock: deps.clock,
    onError: deps.onError,
    createStream: (options) => createTwilioMediaStream(options),
    credentials: (start) => credentialsFromParameters(start.customParameters),
    expectedToken: (sessionId) => streamToken(deps.twilio.authToken, sessionId),
    dtmfSource: 'twilio',
    // The call can be transferred now: Twilio's REST API knows it by these SIDs.
    onAttached: (start, session) => {
      const transfer = twilioHandoff({
        settings: deps.twilio,
        clock: deps.clock,
        accountSid: start.accountSid,
        callSid: start.callSid,
      });
      session.handoff = transfer;
      return transfer;
    },
  });
}
