/**
 * A carrier's media-stream WebSocket on the server, whatever the carrier: the socket is
 * unauthenticated until a `start` carries the per-call stream token (closed with 4401
 * otherwise, or when no valid `start` arrives in time); then the session's output goes out
 * through the carrier's stream — audio, a playback marker after every segment (its
 * acknowledgement moves the heard position: the session counts a segment heard, and goes
 * past it, only once the carrier has played it), a clear on barge-in — and the caller's
 * audio and keys go to the session. A carrier is only its wire format and its credentials.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { WebSocket } from 'ws';
import type { Clock, TimerHandle } from '@prx-voice/core';
import type { SampleRate } from '@prx-voice/media';
import type { DtmfSource } from '@prx-voice/session';
import type {
  CarrierMediaStream,
  CarrierMediaStreamHandlers,
  WireSocket,
} from '@prx-voice/transport';
import { isId } from '@prx-voice/types';
import type { VoiceError } from '@prx-voice/types';
import { wireSocketOf } from '../http/wire-socket.js';
import type { SessionManager } from './session-manager.js';
import type { LiveSession } from './session-manager-types.js';

/**
 * How long a media-stream connection may stay open without a valid `start` (one carrying
 * a correct stream token) before it is closed with 4401.
 */
export const CARRIER_START_DEADLINE_MS = 10_000;

/**
 * Outbound media allowed to wait in a carrier's socket before frames are dropped:
 * about a second of `media` messages (160 G.711 bytes as base64 in JSON, every 20 ms).
 */
export const CARRIER_MAX_BACKLOG_BYTES = 16_384;

/**
 * The stream token of a call: an HMAC of the carrier and session id keyed by the carrier
 * account's secret, so any instance sharing the configuration can check it.
 */
export function carrierStreamToken(carrier: string, secret: string, sessionId: string): string {
  return createHmac('sha256', secret).update(`${carrier}-stream:${sessionId}`).digest('base64url');
}

/** What the stream's `start` names: the call's session and its stream token. */
export interface StreamCredentials {
  readonly sessionId: string;
  readonly tenantId: string;
  readonly token: string;
}

/** The credentials of a stream whose `start` carries them as custom parameters (the webhook's answer set them). */
export function credentialsFromParameters(
  parameters: Readonly<Record<string, string>>,
): StreamCredentials {
  return {
    sessionId: parameters['session_id'] ?? '',
    tenantId: parameters['tenant_id'] ?? '',
    token: parameters['stream_token'] ?? '',
  };
}

/**
 * The credentials of a stream whose URL carries them (`?session_id=…&tenant_id=…&token=…`,
 * as the webhook's answer set them): checked when the carrier's `start` arrives.
 */
export function credentialsFromQuery(url: URL): StreamCredentials {
  return {
    sessionId: url.searchParams.get('session_id') ?? '',
    tenantId: url.searchParams.get('tenant_id') ?? '',
    token: url.searchParams.get('token') ?? '',
  };
}

/**
 * The credentials of a stream whose call carries them as base64 JSON
 * (`{"session_id","tenant_id","stream_token"}`, e.g. Telnyx's `client_state` of a dialled
 * call); empty ones when it is not that.
 */
export function credentialsFromClientState(clientState: string): StreamCredentials {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(clientState, 'base64').toString('utf8'));
  } catch {
    value = undefined;
  }
  const record =
    typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  const text = (key: string): string => (typeof record[key] === 'string' ? record[key] : '');
  return {
    sessionId: text('session_id'),
    tenantId: text('tenant_id'),
    token: text('stream_token'),
  };
}

/** What a carrier adds once its stream is attached (e.g. a call transfer in flight). */
export interface AttachedCall {
  /** A carrier operation that must settle before the stream's end counts as a hang-up. */
  readonly pending?: Promise<void> | undefined;
}

/** Options of {@link attachCarrierStream}. */
export interface CarrierStreamAttachOptions<S> {
  readonly manager: SessionManager;
  readonly clock: Clock;
  readonly onError?: ((error: unknown) => void) | undefined;
  /** Creates the carrier's stream on the socket. */
  createStream(options: {
    readonly socket: WireSocket;
    readonly clock: Clock;
    readonly engine: { readonly inputRate: SampleRate; readonly outputRate: SampleRate };
    readonly handlers: CarrierMediaStreamHandlers<S>;
  }): CarrierMediaStream<S>;
  /** The session, tenant and stream token the `start` carries (its custom parameters). */
  credentials(start: S): StreamCredentials;
  /** The token a stream of `sessionId` must carry. */
  expectedToken(sessionId: string): string;
  /** Where the caller's keys come from, in `media.dtmf` events. */
  readonly dtmfSource: DtmfSource;
  /**
   * A `start` that names no session (a carrier whose fixed stream URL cannot carry one),
   * on a connection the carrier authenticated otherwise: creates the call's session, to
   * which the stream is then attached. Absent: such a start is closed with 4401.
   */
  readonly createSession?:
    ((start: S) => Promise<{ readonly id: string; readonly tenant_id: string }>) | undefined;
  /** Called once the session is attached; what it returns is consulted when the stream ends. */
  onAttached?(start: S, session: LiveSession): AttachedCall;
}

/** Whether a stream's protocol error concerns caller audio (a malformed `media` message or frame). */
function isAudioError(err: VoiceError): boolean {
  const event = err.details['event'];
  return err.code === 'INVALID_AUDIO' || event === 'media' || event === 'audio';
}

/** Whether `given` equals `expected`, in constant time. */
function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Handles one upgraded connection to a carrier's media-stream path. */
export function attachCarrierStream<S>(
  ws: WebSocket,
  options: CarrierStreamAttachOptions<S>,
): void {
  const { manager, clock, onError } = options;
  const socket = wireSocketOf(ws);
  let session: LiveSession | undefined;
  let call: AttachedCall | undefined;
  /** Keys pressed while the session of an unbound `start` is being created. */
  let early: string[] | undefined;
  /**
   * The stream ended: a hang-up, unless a carrier operation is in flight (a transfer) —
   * the carrier stops the stream when the call moves on, and that outcome comes first.
   */
  const streamEnded = (): void => {
    const s = session;
    const pending = call?.pending;
    if (pending === undefined) s?.actor.dispatch({ type: 'transport_closed' });
    else void pending.then(() => s?.actor.dispatch({ type: 'transport_closed' }));
  };
  // The socket is unauthenticated until a `start` carries a valid stream token.
  let startDeadline: TimerHandle | undefined = clock.setTimeout(() => {
    startDeadline = undefined;
    socket.close(4401, 'no valid start in time');
  }, CARRIER_START_DEADLINE_MS);
  const clearStartDeadline = (): void => {
    if (startDeadline !== undefined) clock.clearTimeout(startDeadline);
    startDeadline = undefined;
  };
  /** Attaches the stream to the session its `start` named (or the one created for it). */
  const bind = (
    start: S,
    sessionId: string,
    tenantId: string,
    trusted: boolean,
    token = '',
  ): void => {
    const valid =
      (trusted || sameToken(token, options.expectedToken(sessionId))) &&
      isId('session', sessionId) &&
      isId('tenant', tenantId);
    if (valid) clearStartDeadline();

    session = valid ? manager.live(tenantId, sessionId) : undefined;
    if (session === undefined) {
      socket.close(valid ? 4404 : 4401, valid ? 'no such session' : 'bad stream token');
      return;
    }
    const output = {
      sendAudio: (frame: Int16Array, frameInfo: { readonly segmentId: string }) => {
        // The carrier or the network is not keeping up: drop (and report) rather than queue.
        if (ws.bufferedAmount > CARRIER_MAX_BACKLOG_BYTES)
          session?.actor.audioDropped('outbound', 'backpressure', frame.length);
        else stream.sendSegmentAudio(frameInfo.segmentId, frame);
      },
      // A marker follows the segment's last audio; true: its acknowledgement will confirm it.
      segmentSent: (segment: { readonly segmentId: string }) =>
        stream.endSegment(segment.segmentId),
      clear: () => stream.clear(),
    };
    try {
      manager.attach(session.tenantId, session.id, output);
    } catch (err) {
      onError?.(err);
      socket.close(4409, 'session already attached');
      return;
    }
    call = options.onAttached?.(start, session);
  };
  const stream = options.createStream({
    socket,
    clock,
    engine: { inputRate: manager.engineRates.input, outputRate: manager.engineRates.output },
    handlers: {
      onStart: (start) => {
        const credentials = options.credentials(start);
        const create = options.createSession;
        if (credentials.sessionId === '' && create !== undefined) {
          // Audio before the session exists is not kept (the caller has not been greeted
          // yet); keys pressed meanwhile are held and delivered once it is attached.
          early = [];
          create(start).then(
            (row) => {
              const held = early ?? [];
              early = undefined;
              if (ws.readyState !== ws.OPEN) return;
              bind(start, row.id, row.tenant_id, true);
              for (const digit of held) session?.actor.dtmf(digit, options.dtmfSource);
            },
            (err: unknown) => {
              onError?.(err);
              clearStartDeadline();
              socket.close(1011, 'the call session could not be created');
            },
          );
          return;
        }
        bind(start, credentials.sessionId, credentials.tenantId, false, credentials.token);
      },
      onAudio: (samples) => session?.actor.pushAudio(samples),
      onDtmf: (digit) => {
        if (early !== undefined) early.push(digit);
        else session?.actor.dtmf(digit, options.dtmfSource);
      },
      // An acknowledgement: the carrier has played that segment (unless a clear dropped it).
      onMarkPlayed: (name, info) => {
        if (!info.cleared) session?.actor.playbackPosition(name, Number.MAX_SAFE_INTEGER);
      },
      onStop: () => streamEnded(),
      // A malformed audio message is audio lost: counted (a 20 ms frame) as well as reported;
      // another malformed or out-of-place message is counted as dropped caller audio too (no
      // samples); a fault the carrier reports is only logged.
      onProtocolError: (err) => {
        onError?.(err);
        if (isAudioError(err)) {
          session?.actor.audioDropped('inbound', 'invalid_audio', manager.engineRates.input / 50);
        } else if (err.code !== 'PROVIDER_UNAVAILABLE') {
          session?.actor.audioDropped('inbound', 'invalid_audio', 0);
        }
      },
    },
  });
  // Binary frames are the carrier's raw audio where it sends audio so (Vonage), else read as text.
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    stream.receive(isBinary ? data : data.toString('utf8'), isBinary);
  });
  // A frame over the socket's size limit and other socket faults: `ws` closes the connection
  // itself (1009 for a frame too big); without a listener the error would be thrown.
  ws.on('error', (err) => onError?.(err));
  ws.on('close', () => {
    clearStartDeadline();
    if (session !== undefined) {
      manager.detach(session);
      streamEnded();
    }
  });
}
