/**
 * One WebRTC peer as Pipecat's SmallWebRTC transport connects: the client offers an
 * audio transceiver (mid 0, Opus), video transceivers this server declines, and a data
 * channel carrying RTVI JSON (plus the transport's own `signalling` messages and
 * `ping: …` keep-alives, which are absorbed here). The server side is `werift`.
 * Inbound RTP → jitter buffer → Opus decode (loss concealed) → engine-rate PCM16;
 * outbound engine-rate PCM16 → 20 ms Opus packets → RTP, sent as the session's pacer
 * hands frames over (it paces at real time). The RTVI handshake, requests and event
 * mapping are the RTVI socket's, in its JSON framing.
 */
import { RTCPeerConnection, RTCRtpCodecParameters, RtpHeader, RtpPacket } from 'werift';
import type { RTCDataChannel, RTCRtpTransceiver } from 'werift';
import type { Clock, TimerHandle } from '@prx-voice/core';
import type { AnyVoiceEvent } from '@prx-voice/event';
import type { SampleRate } from '@prx-voice/media';
import { VoiceError } from '@prx-voice/types';
import { createRtviSocket } from '../rtvi/rtvi-socket.js';
import type { RtviSocketHandlers, RtviSocketLimits } from '../rtvi/rtvi-socket.js';
import { createJitterBuffer } from './jitter-buffer.js';
import type { JitterStats } from './jitter-buffer.js';
import { OPUS_FRAME_SAMPLES, createOpusReceiver, createOpusSender } from './opus-audio.js';
import { parseOffer } from './sdp.js';

/** Why a peer ended. */
export type WebrtcCloseReason = 'closed' | 'failed' | 'ice_timeout' | 'server';

/** A trickled ICE candidate as SmallWebRTC PATCHes it. */
export interface WebrtcIceCandidate {
  readonly candidate: string;
  readonly sdpMid?: string | null | undefined;
  readonly sdpMLineIndex?: number | null | undefined;
}

/** Counts of one peer's media. */
export interface WebrtcPeerStats {
  readonly inbound: JitterStats & { readonly concealed: number; readonly corrupt: number };
  /** RTP packets sent. */
  readonly packetsSent: number;
}

/** Options of {@link createWebrtcPeer}. */
export interface WebrtcPeerOptions {
  readonly clock: Clock;
  readonly engine: { readonly inputRate: SampleRate; readonly outputRate: SampleRate };
  /** `about` of `bot-ready`. */
  readonly about?: Readonly<Record<string, unknown>>;
  readonly limits?: Partial<RtviSocketLimits>;
  /** What the client asks of the session (RTVI), and audio it speaks (`onAudio`, engine rate). */
  readonly handlers: RtviSocketHandlers & {
    /** The peer is gone (once); the session's transport is closed. */
    onClosed(reason: WebrtcCloseReason): void;
    /** ICE and DTLS are up. */
    onConnected?(): void;
  };
  /** ICE + DTLS must be up within this long, ms (default 30 000), else the peer closes. */
  readonly connectTimeoutMs?: number;
  /** Packets to wait for a missing one (default 3). */
  readonly jitterDepth?: number;
  /** STUN/TURN servers for this side's candidates (default none: host candidates only). */
  readonly iceServers?: readonly {
    readonly urls: string;
    readonly username?: string | undefined;
    readonly credential?: string | undefined;
  }[];
  /** ICE disconnected this long, ms (default 5 000), and the peer is given up. */
  readonly disconnectTimeoutMs?: number;
  /** Extra host addresses to offer as candidates (e.g. `127.0.0.1` for loopback tests). */
  readonly additionalHostAddresses?: readonly string[];
}

/** One server-side peer; see {@link createWebrtcPeer}. */
export interface WebrtcPeer {
  /** The SDP answer (with this server's ICE candidates). */
  readonly answer: { readonly sdp: string; readonly type: 'answer' };
  /** A new offer on the same connection (renegotiation); resolves with the answer. */
  renegotiate(sdp: string): Promise<{ readonly sdp: string; readonly type: 'answer' }>;
  addIceCandidate(candidate: WebrtcIceCandidate): Promise<void>;
  /** Engine-rate PCM16 from the session's pacer (valid during the call). */
  sendAudio(samples: Int16Array): void;
  /** A session event, as RTVI messages on the data channel. */
  sendEvent(event: AnyVoiceEvent): void;
  /** Drops output held for the next packet (barge-in). */
  resetOutput(): void;
  close(reason?: WebrtcCloseReason): void;
  readonly connected: boolean;
  readonly closed: boolean;
  stats(): WebrtcPeerStats;
}

/** RTP timestamp gap after which a new talkspurt starts (marker bit, timestamp moved on). */
const TALKSPURT_GAP_MS = 60;

/**
 * Answers an offer with a new server-side peer.
 *
 * @throws VoiceError `VALIDATION_FAILED` when the offer cannot be answered (not SDP, no
 * audio, no Opus), with the reason.
 */
export async function createWebrtcPeer(
  sdp: string,
  options: WebrtcPeerOptions,
): Promise<WebrtcPeer> {
  parseOffer(sdp);
  const { clock, engine, handlers } = options;
  const pc = new RTCPeerConnection({
    codecs: {
      audio: [
        new RTCRtpCodecParameters({
          mimeType: 'audio/opus',
          clockRate: 48000,
          channels: 2,
          parameters: 'minptime=10;useinbandfec=1',
        }),
      ],
      // Declined (inactive) below; werift needs a codec to answer a video section at all.
      video: [new RTCRtpCodecParameters({ mimeType: 'video/VP8', clockRate: 90000 })],
    },
    iceServers: (options.iceServers ?? []).map(({ urls, username, credential }) => ({
      urls,
      ...(username === undefined ? {} : { username }),
      ...(credential === undefined ? {} : { credential }),
    })),
    ...(options.additionalHostAddresses === undefined
      ? {}
      : { iceAdditionalHostAddresses: [...options.additionalHostAddresses] }),
  });
  const receiver = createOpusReceiver(engine.inputRate);
  const sender = createOpusSender(engine.outputRate);
  const jitter = createJitterBuffer({
    ...(options.jitterDepth === undefined ? {} : { depth: options.jitterDepth }),
    release: (payload) => {
      const pcm = receiver.frame(payload);
      if (pcm.length > 0 && !closed) handlers.onAudio(pcm);
    },
  });
  let channel: RTCDataChannel | undefined;
  let audio: RTCRtpTransceiver | undefined;
  let connected = false;
  let closed = false;
  let packetsSent = 0;
  let sequence = Math.floor(Math.random() * 0x10000);
  let timestamp = Math.floor(Math.random() * 0x100000000);
  let lastSentAt = Number.NEGATIVE_INFINITY;
  let ssrc: number | undefined;
  const encoder = new TextEncoder();

  const rtvi = createRtviSocket({
    socket: {
      send: (data) => {
        if (channel?.readyState === 'open')
          channel.send(typeof data === 'string' ? data : Buffer.from(data));
      },
      close: () => close('server'),
    },
    clock,
    engine,
    outputRate: engine.outputRate,
    framing: 'json',
    ...(options.about === undefined ? {} : { about: options.about }),
    ...(options.limits === undefined ? {} : { limits: options.limits }),
    handlers,
  });

  let timer: TimerHandle | undefined;

  function close(reason: WebrtcCloseReason = 'server'): void {
    if (closed) return;
    closed = true;
    if (timer !== undefined) clock.clearTimeout(timer);
    if (lost !== undefined) clock.clearTimeout(lost);
    timer = undefined;
    lost = undefined;
    void pc.close().catch(() => undefined);
    handlers.onClosed(reason);
  }

  const onChannelMessage = (data: string | Buffer): void => {
    if (closed) return;
    const text = typeof data === 'string' ? data : data.toString('utf8');
    // SmallWebRTC's keep-alive and its own signalling (track status) are not RTVI.
    if (text.startsWith('ping')) return;
    if (text.includes('"signalling"')) {
      try {
        if ((JSON.parse(text) as { type?: unknown }).type === 'signalling') return;
      } catch {
        // Not JSON: the RTVI socket reports it.
      }
    }
    rtvi.receive(encoder.encode(text), false);
  };

  pc.onDataChannel.subscribe((dc) => {
    channel = dc;
    dc.onMessage.subscribe(onChannelMessage);
    // The client closing its channel (or its peer connection) is the end of the call.
    dc.stateChanged.subscribe((state) => {
      if (state === 'closed') close('closed');
    });
  });
  let lost: TimerHandle | undefined;
  pc.iceConnectionStateChange.subscribe((state) => {
    if (state === 'disconnected' && lost === undefined && !closed) {
      lost = clock.setTimeout(() => close('failed'), options.disconnectTimeoutMs ?? 5_000);
    } else if ((state === 'connected' || state === 'completed') && lost !== undefined) {
      clock.clearTimeout(lost);
      lost = undefined;
    }
  });
  pc.onRemoteTransceiverAdded.subscribe((transceiver) => {
    if (transceiver.kind !== 'audio') return;
    audio ??= transceiver;
    transceiver.onTrack.subscribe((track) => {
      track.onReceiveRtp.subscribe((rtp) => {
        if (closed) return;
        if (ssrc !== rtp.header.ssrc) {
          ssrc = rtp.header.ssrc;
          jitter.reset();
        }
        jitter.push(rtp.header.sequenceNumber, rtp.payload);
      });
    });
  });
  pc.connectionStateChange.subscribe((state) => {
    if (state === 'connected' && !connected) {
      connected = true;
      if (timer !== undefined) clock.clearTimeout(timer);
      timer = undefined;
      handlers.onConnected?.();
    } else if (state === 'failed' || state === 'closed') {
      close(state);
    }
  });

  const answerOffer = async (offer: string): Promise<{ sdp: string; type: 'answer' }> => {
    try {
      await pc.setRemoteDescription({ type: 'offer', sdp: offer });
      for (const t of pc.getTransceivers()) {
        if (t.kind === 'audio') {
          audio ??= t;
          t.setDirection(t === audio ? 'sendrecv' : 'inactive');
        } else {
          t.setDirection('inactive');
        }
      }
      await pc.setLocalDescription(await pc.createAnswer());
    } catch (err) {
      if (err instanceof VoiceError) throw err;
      throw new VoiceError('VALIDATION_FAILED', {
        message: `The offer cannot be answered: ${err instanceof Error ? err.message : String(err)}`,
        details: { reason: 'unanswerable_offer' },
      });
    }
    const local = pc.localDescription;
    if (local == null) {
      throw new VoiceError('INTERNAL', { message: 'The peer produced no answer.' });
    }
    return { sdp: local.sdp, type: 'answer' };
  };

  let answer: { sdp: string; type: 'answer' };
  try {
    answer = await answerOffer(sdp);
  } catch (err) {
    closed = true;
    await pc.close().catch(() => undefined);
    throw err;
  }
  timer = clock.setTimeout(() => {
    timer = undefined;
    if (!connected) close('ice_timeout');
  }, options.connectTimeoutMs ?? 30_000);

  const emit = (payload: Uint8Array): void => {
    const t = audio;
    if (t === undefined || closed) return;
    const now = clock.now();
    const gap = now - lastSentAt;
    const spurt = gap > TALKSPURT_GAP_MS;
    // The far end's clock kept running through a pause: so does the timestamp.
    if (spurt && Number.isFinite(gap)) timestamp = (timestamp + Math.round((gap - 20) * 48)) >>> 0;
    const header = new RtpHeader({ sequenceNumber: sequence, timestamp, marker: spurt });
    lastSentAt = now;
    sequence = (sequence + 1) & 0xffff;
    timestamp = (timestamp + OPUS_FRAME_SAMPLES) >>> 0;
    packetsSent++;
    void t.sender
      .sendRtp(
        new RtpPacket(header, Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength)),
      )
      .catch(() => undefined);
  };

  return {
    answer,
    renegotiate: (offer) => {
      parseOffer(offer);
      return answerOffer(offer);
    },
    async addIceCandidate(candidate) {
      if (closed) return;
      try {
        await pc.addIceCandidate({
          candidate: candidate.candidate,
          ...(candidate.sdpMid == null ? {} : { sdpMid: candidate.sdpMid }),
          sdpMLineIndex: candidate.sdpMLineIndex ?? null,
        });
      } catch (err) {
        throw new VoiceError('VALIDATION_FAILED', {
          message: `The ICE candidate was refused: ${err instanceof Error ? err.message : String(err)}`,
          details: { reason: 'bad_candidate' },
        });
      }
    },
    sendAudio(samples) {
      if (closed || !connected || samples.length === 0) return;
      sender.write(samples, emit);
    },
    sendEvent(event) {
      rtvi.sendEvent(event);
    },
    resetOutput() {
      sender.reset();
    },
    close,
    get connected() {
      return connected;
    },
    get closed() {
      return closed;
    },
    stats() {
      return {
        inbound: { ...jitter.stats, concealed: receiver.concealed, corrupt: receiver.corrupt },
        packetsSent,
      };
    },
  };
}
