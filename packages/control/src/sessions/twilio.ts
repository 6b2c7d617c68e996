/**
 * Twilio Media Streams on the server: the voice webhook (signature checked
 * with the account's auth token) answers TwiML that connects the call to the
 * media-stream WebSocket; the stream carries µ-law 8 kHz both ways, a `mark`
 * after every spoken segment, the last one included (its echo moves the playback
 * position: the session counts a segment heard, and goes past it, only once Twilio
 * has played it), and a `clear` on barge-in.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { WebSocket } from 'ws';
import type { Clock, Config, TimerHandle } from '@prx-voice/core';
import {
  createTwilioMediaStream,
  twimlConnectStream,
  verifyTwilioSignature,
} from '@prx-voice/transport';
import type { WireSocket } from '@prx-voice/transport';
import type { Repositories } from '@prx-voice/storage';
import { VoiceError, isId } from '@prx-voice/types';
import type { TenantId } from '@prx-voice/types';
import type { ControlContext } from '../http/context.js';
import type { RouteModule } from '../http/route-module.js';
import type { SessionManager } from './session-manager.js';

/** The Twilio settings of the server (`adapters.providers.twilio`). */
export interface TwilioSettings {
  /** The account's auth token: checks webhook signatures and signs stream tokens. */
  readonly authToken: string;
  /** Slug of the tenant Twilio calls belong to. */
  readonly tenant: string;
  /** The server's public URL as Twilio reaches it (`https://…`), for signatures and the stream URL. */
  readonly publicUrl: string;
}

/**
 * Twilio is on when `adapters.providers.twilio` names a `tenant` (slug) and an
 * `auth_token` (or `TWILIO_AUTH_TOKEN` is set) and `server.public_url` is set.
 */
export function twilioSettings(
  config: Config,
  env: Readonly<Record<string, string | undefined>>,
): TwilioSettings | undefined {
  const t = config.adapters.providers['twilio'];
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
  return { authToken, tenant, publicUrl };
}

/** Path of the webhook and of the media stream. */
export const TWILIO_VOICE_PATH = '/telephony/twilio/voice';
/** Path of the media-stream WebSocket. */
export const TWILIO_STREAM_PATH = '/telephony/twilio/stream';

/** The token a stream's `start` must carry for a session (the TwiML puts it in a `<Parameter>`). */
export function streamToken(authToken: string, sessionId: string): string {
  return createHmac('sha256', authToken).update(`twilio-stream:${sessionId}`).digest('base64url');
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
        description: 'Form-encoded as Twilio sends it; the X-Twilio-Signature header is checked.',
        tags: ['telephony'],
        contentType: 'text/xml',
        errors: ['TENANT_NOT_FOUND'],
        handler: (c) => voiceWebhook(c, deps),
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
    },
  };
}

async function voiceWebhook(c: ControlContext, deps: TwilioRouteDeps): Promise<Response> {
  const form = new URLSearchParams(await c.req.text());
  const url = `${deps.twilio.publicUrl.replace(/\/$/, '')}${TWILIO_VOICE_PATH}${new URL(c.req.url).search}`;
  const signature = c.req.header('x-twilio-signature') ?? '';
  if (!verifyTwilioSignature({ authToken: deps.twilio.authToken, signature, url, params: form })) {
    throw new VoiceError('UNAUTHENTICATED', {
      message: 'the Twilio request signature does not match',
      details: { reason: 'twilio_signature' },
    });
  }
  const tenant = await deps.repos.tenants.getBySlug(deps.twilio.tenant);
  if (tenant === undefined) throw new VoiceError('TENANT_NOT_FOUND');
  const row = await deps.manager.create(tenant.id as TenantId, {
    channel: 'twilio',
    metadata: {
      call_sid: form.get('CallSid') ?? '',
      from: form.get('From') ?? '',
      to: form.get('To') ?? '',
    },
  });
  const streamUrl = new URL(deps.twilio.publicUrl);
  streamUrl.protocol = streamUrl.protocol === 'https:' ? 'wss:' : 'ws:';
  streamUrl.pathname = `${streamUrl.pathname.replace(/\/$/, '')}${TWILIO_STREAM_PATH}`;
  const twiml = twimlConnectStream({
    streamUrl: streamUrl.toString(),
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
export const TWILIO_MAX_BACKLOG_BYTES = 16_384;

/**
 * How long a media-stream connection may stay open without a valid `start` (one carrying
 * a correct stream token) before it is closed with 4401.
 */
export const TWILIO_START_DEADLINE_MS = 10_000;

/** Handles one upgraded connection to the media-stream path. */
export function attachTwilioStream(
  deps: Pick<TwilioRouteDeps, 'manager' | 'clock' | 'twilio' | 'onError'>,
  ws: WebSocket,
): void {
  const socket: WireSocket = {
    send: (data) => {
      if (ws.readyState === ws.OPEN) ws.send(data);
    },
    close: (code, reason) => ws.close(code, reason.slice(0, 120)),
    get bufferedAmount() {
      return ws.bufferedAmount;
    },
  };
  let session: ReturnType<SessionManager['live']>;
  // The socket is unauthenticated until a `start` carries a valid stream token.
  let startDeadline: TimerHandle | undefined = deps.clock.setTimeout(() => {
    startDeadline = undefined;
    socket.close(4401, 'no valid start in time');
  }, TWILIO_START_DEADLINE_MS);
  const clearStartDeadline = (): void => {
    if (startDeadline !== undefined) deps.clock.clearTimeout(startDeadline);
    startDeadline = undefined;
  };
  const stream = createTwilioMediaStream({
    socket,
    clock: deps.clock,
    engine: {
      inputRate: deps.manager.engineRates.input,
      outputRate: deps.manager.engineRates.output,
    },
    handlers: {
      onStart: (info) => {
        const sid = info.customParameters['session_id'] ?? '';
        const tenantId = info.customParameters['tenant_id'] ?? '';
        const token = Buffer.from(info.customParameters['stream_token'] ?? '');
        const expected = Buffer.from(streamToken(deps.twilio.authToken, sid));
        const valid =
          token.length === expected.length &&
          timingSafeEqual(token, expected) &&
          isId('session', sid) &&
          isId('tenant', tenantId);
        if (valid) clearStartDeadline();
        session = valid ? deps.manager.live(tenantId, sid) : undefined;
        if (session === undefined) {
          socket.close(valid ? 4404 : 4401, valid ? 'no such session' : 'bad stream token');
          return;
        }
        const output = {
          sendAudio: (frame: Int16Array, frameInfo: { readonly segmentId: string }) => {
            // Twilio or the network is not keeping up: drop (and report) rather than queue.
            if (ws.bufferedAmount > TWILIO_MAX_BACKLOG_BYTES)
              session?.actor.audioDropped('outbound', 'backpressure', frame.length);
            else stream.sendSegmentAudio(frameInfo.segmentId, frame);
          },
          // A mark follows the segment's last audio; true: its echo will confirm it was played.
          segmentSent: (segment: { readonly segmentId: string }) =>
            stream.endSegment(segment.segmentId),
          clear: () => stream.clear(),
        };
        try {
          deps.manager.attach(session.tenantId, session.id, output);
        } catch (err) {
          deps.onError?.(err);
          socket.close(4409, 'session already attached');
        }
      },
      onAudio: (samples) => session?.actor.pushAudio(samples),
      onDtmf: (digit) => session?.actor.dtmf(digit, 'twilio'),
      // A mark echo: Twilio has played that segment to the caller (unless a clear dropped it).
      onMarkPlayed: (name, info) => {
        if (!info.cleared) session?.actor.playbackPosition(name, Number.MAX_SAFE_INTEGER);
      },
      onStop: () => session?.actor.dispatch({ type: 'transport_closed' }),
      onProtocolError: (err) => deps.onError?.(err),
    },
  });
  ws.on('message', (data: Buffer) => stream.receive(data.toString('utf8')));
  // A frame over the socket's size limit and other socket faults: `ws` closes the connection
  // itself (1009 for a frame too big); without a listener the error would be thrown.
  ws.on('error', (err) => deps.onError?.(err));
  ws.on('close', () => {
    clearStartDeadline();
    if (session !== undefined) {
      deps.manager.detach(session);
      session.actor.dispatch({ type: 'transport_closed' });
    }
  });
}
