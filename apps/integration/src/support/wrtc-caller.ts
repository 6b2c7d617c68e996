/**
 * A WebRTC caller built on libwebrtc (`@roamhq/wrtc`), shaped as Pipecat's SmallWebRTC
 * transport connects: audio (sendrecv) and video transceivers, a `chat` data channel
 * carrying RTVI JSON, the offer POSTed to `/api/v1/webrtc/offer` and ICE candidates
 * PATCHed as they are gathered. The microphone is an `RTCAudioSource` fed 10 ms frames in
 * real time (libwebrtc encodes them as Opus); bot audio is read from an `RTCAudioSink`.
 * `LossyRelay` is a UDP relay between the two that drops every n-th inbound RTP packet.
 */
import { createSocket } from 'node:dgram';
import type { RemoteInfo, Socket } from 'node:dgram';
import wrtcModule from '@roamhq/wrtc';
import { RtviLog } from './pipecat-node.ts';

/* The slice of `@roamhq/wrtc` used here (its own types are the DOM's, not in this build). */
interface IceCandidate {
  readonly candidate: string;
  readonly sdpMid: string | null;
  readonly sdpMLineIndex: number | null;
}
interface Description {
  readonly type: string;
  readonly sdp: string;
}
interface Track {
  readonly kind: string;
  stop(): void;
}
interface DataChannel {
  onopen: (() => void) | null;
  onclose: (() => void) | null;
  onmessage: ((e: { data: unknown }) => void) | null;
  send(data: string): void;
}
interface PeerConnection {
  addTransceiver(kind: 'audio' | 'video', init: { direction: string }): unknown;
  getTransceivers(): { sender: { replaceTrack(track: Track): Promise<void> } }[];
  createDataChannel(label: string, init: { ordered: boolean }): DataChannel;
  createOffer(): Promise<Description>;
  setLocalDescription(d: Description): Promise<void>;
  setRemoteDescription(d: Description): Promise<void>;
  readonly localDescription: Description | null;
  readonly iceGatheringState: string;
  onicegatheringstatechange: (() => void) | null;
  onicecandidate: ((e: { candidate: IceCandidate | null }) => void) | null;
  ontrack: ((e: { track: Track }) => void) | null;
  close(): void;
}
interface AudioData {
  readonly samples: Int16Array;
  readonly sampleRate: number;
  readonly channelCount: number;
}
interface Wrtc {
  RTCPeerConnection: new (config: { iceServers: unknown[] }) => PeerConnection;
  nonstandard: {
    RTCAudioSource: new () => {
      createTrack(): Track;
      onData(data: AudioData & { bitsPerSample: number; numberOfFrames: number }): void;
    };
    RTCAudioSink: new (track: Track) => { ondata: ((d: AudioData) => void) | null; stop(): void };
  };
}
const wrtc = wrtcModule as unknown as Wrtc;

const RATE = 48000;
const FRAME = 480; // 10 ms at 48 kHz: what RTCAudioSource takes

/** Options of {@link connectWrtcCaller}. */
export interface WrtcCallerOptions {
  readonly url: string;
  readonly key: string;
  readonly requestData?: unknown;
  /** Route media through this relay (candidates are then not trickled). */
  readonly relay?: LossyRelay;
}

/** A connected caller. */
export interface WrtcCaller {
  readonly pcId: string;
  readonly log: RtviLog;
  /** Bot audio received with energy in it, samples at 48 kHz. */
  readonly heard: Heard;
  /** Sends an RTVI message on the data channel. */
  send(type: string, data?: unknown, id?: string): void;
  /** Feeds `ms` of audio in real time: `speech` is a 300 Hz tone, `silence` zeros. */
  speak(kind: 'speech' | 'silence', ms: number): Promise<void>;
  /** Silence into the microphone until `done` settles. */
  silenceUntil<T>(done: Promise<T>): Promise<T>;
  close(): void;
  readonly closed: Promise<void>;
}

/** Bot audio heard: samples at 48 kHz with energy in them, and when each chunk came. */
export interface Heard {
  samples: number;
  readonly chunks: { at: number; samples: number }[];
}

/** Counts the audible audio of a received track into `heard`; returns a stop function. */
export function listen(track: unknown, heard: Heard): () => void {
  const sink = new wrtc.nonstandard.RTCAudioSink(track as Track);
  sink.ondata = (d) => {
    let peak = 0;
    for (const s of d.samples) if (Math.abs(s) > peak) peak = Math.abs(s);
    if (peak > 500) {
      const n = d.samples.length / d.channelCount;
      heard.samples += (n * RATE) / d.sampleRate;
      heard.chunks.push({ at: Date.now(), samples: n });
    }
  };
  return () => sink.stop();
}

/** A libwebrtc microphone: a track, and `speak` feeding it 10 ms frames in real time. */
export function createMicrophone(): {
  readonly track: Track;
  speak: (kind: 'speech' | 'silence', ms: number) => Promise<void>;
} {
  const source = new wrtc.nonstandard.RTCAudioSource();
  const track = source.createTrack();
  const pcm = new Int16Array(FRAME);
  let phase = 0;
  const speak = async (kind: 'speech' | 'silence', ms: number): Promise<void> => {
    const frames = Math.ceil(ms / 10);
    const start = Date.now();
    for (let i = 0; i < frames; i++) {
      for (let s = 0; s < FRAME; s++)
        pcm[s] =
          kind === 'speech'
            ? Math.round(0.3 * 32767 * Math.sin((2 * Math.PI * 300 * phase++) / RATE))
            : 0;
      source.onData({
        samples: pcm,
        sampleRate: RATE,
        bitsPerSample: 16,
        channelCount: 1,
        numberOfFrames: FRAME,
      });
      const due = start + (i + 1) * 10 - Date.now();
      if (due > 0) await new Promise((r) => setTimeout(r, due));
    }
  };
  return { track, speak };
}

/** The WebRTC globals a browser client expects, from `@roamhq/wrtc`. */
export function installWrtcGlobals(): void {
  const g = globalThis as Record<string, unknown>;
  const m = wrtcModule as unknown as Record<string, unknown>;
  for (const name of [
    'RTCPeerConnection',
    'RTCSessionDescription',
    'RTCIceCandidate',
    'MediaStream',
    'MediaStreamTrack',
  ])
    g[name] ??= m[name];
}

/** `{type, id?, data}` of an RTVI message. */
function rtvi(type: string, data?: unknown, id?: string): string {
  return JSON.stringify({ label: 'rtvi-ai', type, ...(id === undefined ? {} : { id }), data });
}

/** Connects, sends `client-ready` and resolves once `bot-ready` has come. */
export async function connectWrtcCaller(options: WrtcCallerOptions): Promise<WrtcCaller> {
  const pc = new wrtc.RTCPeerConnection({ iceServers: [] });
  pc.addTransceiver('audio', { direction: 'sendrecv' });
  pc.addTransceiver('video', { direction: 'sendrecv' });
  const mic = createMicrophone();
  const { track, speak } = mic;
  const [audio] = pc.getTransceivers();
  if (audio === undefined) throw new Error('no audio transceiver');
  await audio.sender.replaceTrack(track);
  const dc = pc.createDataChannel('chat', { ordered: true });
  // Listened for at once: the channel may open before the answer's round trip returns.
  const opened = new Promise<void>((resolve) => {
    dc.onopen = () => resolve();
  });
  const log = new RtviLog();
  const heard: Heard = { samples: 0, chunks: [] };
  let stopListening = (): void => undefined;
  pc.ontrack = (e) => {
    if (e.track.kind === 'audio') stopListening = listen(e.track, heard);
  };
  dc.onmessage = (e) => {
    const m = JSON.parse(String(e.data)) as { type: string; data?: unknown };
    log.push(m.type, m.data ?? {});
  };
  const endpoint = `${options.url}/api/v1/webrtc/offer`;
  const headers = { authorization: `Bearer ${options.key}`, 'content-type': 'application/json' };
  const signalled: { pcId?: string } = {};
  const pending: IceCandidate[] = [];
  const patch = async (candidates: readonly IceCandidate[]) => {
    const res = await fetch(endpoint, {
      method: 'PATCH',
      headers,
      body: JSON.stringify({
        pc_id: signalled.pcId,
        candidates: candidates.map((c) => ({
          candidate: c.candidate,
          sdp_mid: c.sdpMid,
          sdp_mline_index: c.sdpMLineIndex,
        })),
      }),
    });
    if (res.status !== 200)
      throw new Error(
        `PATCH answered ${String(res.status)}: ${await res.text()} (${JSON.stringify(candidates)})`,
      );
  };
  if (options.relay === undefined) {
    pc.onicecandidate = (e) => {
      if (e.candidate === null || e.candidate.candidate === '') return;
      if (signalled.pcId === undefined) pending.push(e.candidate);
      else void patch([e.candidate]);
    };
  }
  await pc.setLocalDescription(await pc.createOffer());
  let sdp = pc.localDescription?.sdp ?? '';
  if (options.relay !== undefined) {
    // Only the relay may carry media: each side is told the relay is the other.
    await new Promise<void>((resolve) => {
      if (pc.iceGatheringState === 'complete') resolve();
      pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && resolve();
    });
    sdp = options.relay.rewriteOffer(pc.localDescription?.sdp ?? '');
  }
  const res = await fetch(endpoint, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      sdp,
      type: 'offer',
      pc_id: null,
      restart_pc: false,
      requestData: options.requestData,
    }),
  });
  if (res.status !== 200)
    throw new Error(`offer answered ${String(res.status)}: ${await res.text()}`);
  const answer = (await res.json()) as { sdp: string; type: 'answer'; pc_id: string };
  signalled.pcId = answer.pc_id;
  const remote = options.relay === undefined ? answer.sdp : options.relay.rewriteAnswer(answer.sdp);
  await pc.setRemoteDescription({ type: 'answer', sdp: remote });
  if (pending.length > 0) await patch(pending.splice(0));

  await Promise.race([
    opened,
    new Promise((_, reject) =>
      setTimeout(() => reject(new Error('the data channel did not open in 15 s')), 15_000),
    ),
  ]);
  const closed = new Promise<void>((resolve) => {
    dc.onclose = () => resolve();
  });
  dc.send(rtvi('client-ready', { version: '2.1.0', about: { library: 'wrtc-caller' } }, 'ready-1'));
  await log.waitFor('bot-ready');

  return {
    pcId: answer.pc_id,
    log,
    heard,
    send: (type, data, id) => dc.send(rtvi(type, data, id)),
    speak,
    async silenceUntil(done) {
      const state = { settled: false };
      const result = done.finally(() => {
        state.settled = true;
      });
      while (!state.settled) await speak('silence', 100);
      return result;
    },
    close() {
      stopListening();
      track.stop();
      pc.close();
    },
    closed,
  };
}

/** Is this datagram RTP (not STUN, DTLS or RTCP)? RFC 7983 and RFC 5761. */
function isRtp(msg: Buffer): boolean {
  const b0 = msg[0] ?? 0;
  const pt = (msg[1] ?? 0) & 0x7f;
  return b0 >= 128 && b0 <= 191 && !(pt >= 64 && pt <= 95);
}

/**
 * A UDP relay on 127.0.0.1 standing between the caller and the server: each side is told
 * the relay is the other (its candidates are replaced), the caller-facing socket forwards
 * to the server's candidate and the server-facing one back to the caller; every
 * `dropEvery`-th RTP packet towards the server is dropped (deterministic loss).
 */
export class LossyRelay {
  private target: { address: string; port: number } | undefined;
  private caller: RemoteInfo | undefined;
  private rtp = 0;
  dropped = 0;
  forwarded = 0;

  private constructor(
    private readonly callerSide: Socket,
    private readonly serverSide: Socket,
    readonly dropEvery: number,
  ) {
    callerSide.on('message', (msg, from) => {
      this.caller = from;
      const t = this.target;
      if (t === undefined) return;
      if (isRtp(msg) && ++this.rtp % this.dropEvery === 0) {
        this.dropped++;
        return;
      }
      if (isRtp(msg)) this.forwarded++;
      serverSide.send(msg, t.port, t.address);
    });
    serverSide.on('message', (msg) => {
      const c = this.caller;
      if (c !== undefined) callerSide.send(msg, c.port, c.address);
    });
  }

  static async open(dropEvery: number): Promise<LossyRelay> {
    const bind = async (): Promise<Socket> => {
      const socket = createSocket('udp4');
      await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
      return socket;
    };
    return new LossyRelay(await bind(), await bind(), dropEvery);
  }

  /** The offer as the server sees it: the caller is the relay's server-facing socket. */
  rewriteOffer(sdp: string): string {
    return LossyRelay.only(sdp, this.serverSide.address().port);
  }

  /** The answer as the caller sees it: the server is the relay's caller-facing socket. */
  rewriteAnswer(sdp: string): string {
    const m = /a=candidate:\S+ 1 udp \d+ (\d+\.\d+\.\d+\.\d+) (\d+) typ host/.exec(sdp);
    if (m === null) throw new Error('the answer has no IPv4 host candidate');
    this.target = { address: String(m[1]), port: Number(m[2]) };
    return LossyRelay.only(sdp, this.callerSide.address().port);
  }

  /** An SDP whose candidates are one host candidate at 127.0.0.1:`port`. */
  private static only(sdp: string, port: number): string {
    let first = true;
    return sdp.replace(/a=candidate:[^\r\n]*\r\n/g, () => {
      if (!first) return '';
      first = false;
      return `a=candidate:1 1 udp 2130706431 127.0.0.1 ${String(port)} typ host\r\n`;
    });
  }

  close(): void {
    this.callerSide.close();
    this.serverSide.close();
  }
}
