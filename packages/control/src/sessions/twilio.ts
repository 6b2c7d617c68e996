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
import type { Clock } from '@prx-voice/core';
import type { SampleRate } from '@prx-voice/media';
import {
  createTwilioMediaStream,
  twimlConnectStream,
  verifyTwilioSignature,
} from '@prx-voice/transport';
import type { WireSocket } from '@prx-voice/transport';
import type { Repositories } from '@prx-voice/storage';
import { VoiceError, isId } from '@prx-voice/types';
import type { TenantId } from '@prx-voice/types';
import type { ControlApp } from '../app.js';
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

/** Path of the webhook and of the media stream. */
export const TWILIO_VOICE_PATH = '/telephony/twilio/voice';
/** Path of the media-stream WebSocket. */
export const TWILIO_STREAM_PATH = '/telephony/twilio/stream';

/** The token a stream's `start` must carry for a session (the TwiML puts it in a `<Parameter>`). */
export function streamToken(authToken: string, sessionId: string): string {
  return createHmac('sha256', authToken).update(`twilio-stream:${sessionId}`).digest('base64url');
}

/** Registers `POST /telephony/twilio/voice` on the root app. */
export function registerTwilioWebhook(
  control: ControlApp,
  deps: {
    readonly manager: SessionManager;
    readonly repos: Repositories;
    readonly twilio: TwilioSettings;
  },
): void {
  control.app.post(TWILIO_VOICE_PATH, async (c) => {
    const form = new URLSearchParams(await c.req.text());
    const url = `${deps.twilio.publicUrl.replace(/\/$/, '')}${TWILIO_VOICE_PATH}${new URL(c.req.url).search}`;
    const signature = c.req.header('x-twilio-signature') ?? '';
    if (
      !verifyTwilioSignature({ authToken: deps.twilio.authToken, signature, url, params: form })
    ) {
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
  });
}

/**
 * Outbound media allowed to wait in Twilio's socket before frames are dropped:
 * about a second of `media` messages (160 µ-law bytes as base64 in JSON, every 20 ms).
 */
export const TWILIO_MAX_BACKLOG_BYTES = 16_384;

/** Handles one upgraded connection to the media-stream path. */
export function attachTwilioStream(
  deps: {
    readonly manager: SessionManager;
    readonly clock: Clock;
    readonly twilio: TwilioSettings;
    readonly engineRates: { readonly input: SampleRate; readonly output: SampleRate };
    readonly onError?: (error: unknown) => void;
  },
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
  const stream = createTwilioMediaStream({
    socket,
    clock: deps.clock,
    engine: { inputRate: deps.engineRates.input, outputRate: deps.engineRates.output },
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
      onDtmf: () => undefined,
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
    if (session !== undefined) {
      deps.manager.detach(session);
      session.actor.dispatch({ type: 'transport_closed' });
    }
  });
}
