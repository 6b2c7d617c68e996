/**
 * Attaches a client WebSocket to a live session: authentication (header, a
 * `prx-voice.auth.*` subprotocol or `?token=`), RBAC, the session WebSocket protocol of the transport package,
 * audio both ways, the session's CloudEvents as text frames (transcripts
 * redacted without `transcript:read`), and the close codes of the protocol
 * for every refusal.
 */
import type { WebSocket } from 'ws';
import type { Clock } from '@prx-voice/core';
import type { AnyVoiceEvent } from '@prx-voice/event';
import { authorize } from '@prx-voice/policy';
import { CLOSE_CODES, bytesPerSample, createSessionSocket } from '@prx-voice/transport';
import { VoiceError, isId } from '@prx-voice/types';
import type { Authenticator } from '../auth/authenticator.js';
import { protocolToken } from '../auth/ws-protocol-token.js';
import type { SocketRequest } from '../http/socket-routes.js';
import { wireSocketOf } from '../http/wire-socket.js';
import type { SessionManager } from './session-manager.js';
import { redactTranscript, transcriptViewFor } from './transcript-redaction.js';

/** What attaching needs. */
export interface WsAttachDeps {
  readonly manager: SessionManager;
  readonly authenticator: Authenticator;
  readonly clock: Clock;
  readonly maxFrameBytes: number;
  readonly onError?: (error: unknown) => void;
}

/** Outbound audio allowed to wait in a client's socket before frames are dropped, ms. */
export const MAX_OUTBOUND_BACKLOG_MS = 1000;

/** Bytes a client's socket may hold unsent before it is cut off as too slow for its events. */
const MAX_EVENT_BACKLOG_BYTES = 8 * 1024 * 1024;

/** The close code and reason of a refusal, as the session WebSocket protocol defines them. */
export function closeFor(err: unknown): { code: number; reason: string } {
  const e = VoiceError.from(err);
  switch (e.code) {
    case 'UNAUTHENTICATED':
    case 'TOKEN_EXPIRED':
      return { code: CLOSE_CODES.unauthenticated, reason: e.message };
    case 'FORBIDDEN':
      return { code: CLOSE_CODES.forbidden, reason: e.message };
    case 'SESSION_NOT_FOUND':
    case 'INVALID_ID':
      return { code: CLOSE_CODES.notFound, reason: 'no such session' };
    case 'SESSION_ALREADY_ATTACHED':
      return { code: CLOSE_CODES.alreadyAttached, reason: 'session already attached' };
    case 'RATE_LIMITED':
    case 'QUOTA_EXCEEDED':
      return { code: CLOSE_CODES.limited, reason: e.message };
    default:
      return { code: 1011, reason: 'internal error' };
  }
}

/** Handles one upgraded connection to `GET /api/v1/ws/{id}`. */
export async function attachWebSocket(
  deps: WsAttachDeps,
  ws: WebSocket,
  request: SocketRequest,
): Promise<void> {
  const socket = wireSocketOf(ws);
  // Frames that arrive while we authenticate are kept, in order.
  const early: { data: Buffer; isBinary: boolean }[] = [];
  let onMessage = (data: Buffer, isBinary: boolean): void => {
    early.push({ data, isBinary });
  };
  ws.on('message', (data: Buffer, isBinary: boolean) => onMessage(data, isBinary));
  // A frame over the socket's size limit and other socket faults: `ws` closes the connection
  // itself (1009 for a frame too big); without a listener the error would be thrown.
  ws.on('error', (err) => deps.onError?.(err));
  let session;
  let view: (event: AnyVoiceEvent) => AnyVoiceEvent = redactTranscript;
  try {
    const id = request.params['session_id'];
    if (id === undefined || !isId('session', id)) throw new VoiceError('SESSION_NOT_FOUND');
    // A browser offers its token as a subprotocol (it cannot set headers).
    const offered = protocolToken(request.headers['sec-websocket-protocol']);
    const authorization =
      request.headers.authorization ?? (offered === undefined ? undefined : `Bearer ${offered}`);
    const { principal } = await deps.authenticator.authenticate(
      { authorization: authorization ?? null, queryToken: request.url.searchParams.get('token') },
      { allowQueryToken: true },
    );
    if (authorize(principal, 'turn:create').kind === 'denied')
      throw new VoiceError('FORBIDDEN', { message: 'the credential may not talk to sessions' });
    view = transcriptViewFor(principal);
    session = deps.manager.live(principal.tenantId, id);
    if (session === undefined) throw new VoiceError('SESSION_NOT_FOUND');
  } catch (err) {
    const c = closeFor(err);
    socket.close(c.code, c.reason);
    return;
  }
  if (ws.readyState !== ws.OPEN) return; // the client left while we checked it
  const live = session;
  const emitError = (err: VoiceError): void => {
    live.emitter.emit(
      'prx.voice.session.error',
      { code: err.code, message: err.message, retryable: err.retryable },
      { severity: 'warn' },
    );
  };
  // More than this much audio waiting in the socket means the client or the network does not keep
  // up: frames are dropped (and reported) rather than queued, so what it hears stays current.
  // In bytes of the negotiated output format, computed when it changes, not per frame.
  const backlogBytes = (): number => {
    const out = wire.formats.output;
    return out.sampleRate * bytesPerSample(out) * (MAX_OUTBOUND_BACKLOG_MS / 1000);
  };
  let backlogLimit = 0;
  const wire = createSessionSocket({
    socket,
    clock: deps.clock,
    engine: {
      inputRate: deps.manager.engineRates.input,
      outputRate: deps.manager.engineRates.output,
    },
    limits: { maxFrameBytes: deps.maxFrameBytes },
    handlers: {
      onAudio: (samples) => live.actor.pushAudio(samples),
      onText: (text) => live.actor.dispatch({ type: 'text_input', text }),
      onInterrupt: () => live.actor.dispatch({ type: 'interrupt' }),
      onDtmf: (digits) => live.actor.dtmf(digits, 'websocket'),
      onPlaybackPosition: (segmentId, playedMs) => live.actor.playbackPosition(segmentId, playedMs),
      onEnd: () => live.actor.dispatch({ type: 'end' }),
      onPing: (id) =>
        live.emitter.emit('prx.voice.session.pong', id === undefined ? {} : { ping_id: id }, {
          severity: 'debug',
        }),
      // Audio formats are renegotiated by the socket itself; the rest is the session's to
      // apply at its next turn boundary (an invalid change is named and changes nothing).
      onUpdate: (update) => {
        if (update.output !== undefined) backlogLimit = backlogBytes();
        try {
          // Frame length is the connection's, like its formats: it applies from the next frame.
          if (update.outputFrameMs !== undefined) live.actor.setOutputFrameMs(update.outputFrameMs);
          deps.manager.updateLive(live, {
            ...(update.language === undefined ? {} : { language: update.language }),
            ...(update.voice === undefined ? {} : { voice: update.voice }),
            ...(update.systemPrompt === undefined ? {} : { systemPrompt: update.systemPrompt }),
            ...(update.providers === undefined ? {} : { providers: update.providers }),
            ...(update.providerOptions === undefined
              ? {}
              : { providerOptions: update.providerOptions }),
          });
        } catch (err) {
          emitError(VoiceError.from(err));
        }
      },
      onProtocolError: emitError,
      onAudioDropped: (samples) => live.actor.audioDropped('inbound', 'invalid_audio', samples),
    },
  });
  backlogLimit = backlogBytes();
  try {
    deps.manager.attach(live.tenantId, live.id, {
      sendAudio: (frame) => {
        if (ws.bufferedAmount > backlogLimit)
          live.actor.audioDropped('outbound', 'backpressure', frame.length);
        else wire.sendAudio(frame);
      },
      clear: () => wire.resetOutput(),
    });
  } catch (err) {
    const c = closeFor(err);
    socket.close(c.code, c.reason);
    return;
  }
  // Events go out as they are emitted, in one order with the audio: a client that buffers
  // audio sees playback.flushed before any frame of a newer run.
  let cutOff = false;
  const removeSink = live.emitter.addSink((event) => {
    if (cutOff) return;
    if (ws.bufferedAmount > MAX_EVENT_BACKLOG_BYTES) {
      // This connection fell too far behind: it is cut off; SSE can resume from the log.
      cutOff = true;
      socket.close(CLOSE_CODES.policy, 'too slow to keep up with events');
      return;
    }
    try {
      wire.sendEvent(view(event));
    } catch (err) {
      deps.onError?.(err);
    }
    if (event.type === 'prx.voice.session.closed' || event.type === 'prx.voice.session.failed')
      socket.close(CLOSE_CODES.normal, 'session ended');
  });
  onMessage = (data, isBinary) => {
    try {
      wire.receive(
        isBinary
          ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
          : data.toString('utf8'),
        isBinary,
      );
    } catch (err) {
      deps.onError?.(err);
    }
  };
  for (const m of early.splice(0)) onMessage(m.data, m.isBinary);
  ws.on('close', () => {
    removeSink();
    deps.manager.detach(live);
    // A dropped connection is the caller hanging up.
    live.actor.dispatch({ type: 'transport_closed' });
  });
}
