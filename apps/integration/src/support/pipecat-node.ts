/**
 * Running Pipecat's published browser client (`@pipecat-ai/client-js` with
 * `@pipecat-ai/websocket-transport`, unmodified) in Node 20: the shims it needs — `window`
 * (its constructor reads `window.navigator`) and a browser-style global `WebSocket` that
 * hands binary messages over as `Blob`s (the transport's deserializer insists on them;
 * Node 20 has no global WebSocket) — and a media manager without devices, in place of the
 * Daily one (getUserMedia, AudioContext): it feeds the transport PCM as a microphone
 * would and keeps the bot audio the transport gives it to play.
 */
import type { Transport } from '@pipecat-ai/client-js';
import { WebSocket as NodeWebSocket } from 'ws';

/** A `ws` WebSocket behaving as a browser's does for binary messages (`Blob`s, which `ws` 8.18+ makes). */
class BrowserWebSocket extends NodeWebSocket {
  constructor(url: string | URL, protocols?: string | string[]) {
    super(url, protocols);
    // @types/ws does not list 'blob' yet; ws itself supports it.
    (this as { binaryType: string }).binaryType = 'blob';
  }
}

/** The part of `@pipecat-ai/websocket-transport` the tests use. */
export interface WebSocketTransportModule {
  readonly WebSocketTransport: new (options: {
    readonly mediaManager?: NodeMediaManager;
    readonly playerSampleRate?: number;
    readonly recorderSampleRate?: number;
  }) => Transport;
}

/**
 * Loads `@pipecat-ai/websocket-transport` as published. Its type declarations pull in
 * daily-js's, which add the DOM library to the whole compilation (and change `fetch`'s
 * types for every other test), so it is typed here by the subset used.
 */
export async function loadWebSocketTransport(): Promise<WebSocketTransportModule> {
  const name = '@pipecat-ai/websocket-transport';
  return (await import(name)) as WebSocketTransportModule;
}

/** Installs `window` and `WebSocket` on `globalThis` (once). */
export function installBrowserShims(): void {
  const g = globalThis as Record<string, unknown>;
  g['window'] ??= globalThis;
  g['WebSocket'] ??= BrowserWebSocket;
}

/** The PCM16 frames the transport sends: 512 samples (32 ms at 16 kHz), as its recorder chunks them. */
export const RECORDER_CHUNK = 512;

/**
 * A media manager with no devices, shaped as the transport's `MediaManager` (which the
 * package does not export): `speak` plays PCM into the transport as the microphone
 * would, in real time; bot audio the transport hands over is counted and kept.
 */
export class NodeMediaManager {
  private userAudio: ((data: ArrayBuffer) => void) | undefined;
  private micEnabled = true;
  /** Bot audio received, in samples (PCM16 at the player rate). */
  botSamples = 0;
  /** When each chunk of bot audio arrived (ms since epoch) and its length. */
  readonly botChunks: { at: number; samples: number }[] = [];
  readonly supportsScreenShare = false;

  setUserAudioCallback(callback: (data: ArrayBuffer) => void): void {
    this.userAudio = callback;
  }
  setClientOptions(options: { enableMic?: boolean }): void {
    this.micEnabled = options.enableMic ?? true;
  }
  initialize(): Promise<void> {
    return Promise.resolve();
  }
  connect(): Promise<void> {
    return Promise.resolve();
  }
  disconnect(): Promise<void> {
    return Promise.resolve();
  }
  userStartedSpeaking(): Promise<unknown> {
    return Promise.resolve();
  }
  bufferBotAudio(data: ArrayBuffer | Int16Array): Int16Array {
    const samples = data instanceof Int16Array ? data : new Int16Array(data);
    this.botSamples += samples.length;
    this.botChunks.push({ at: Date.now(), samples: samples.length });
    return samples;
  }
  getAllMics(): Promise<never[]> {
    return Promise.resolve([]);
  }
  getAllCams(): Promise<never[]> {
    return Promise.resolve([]);
  }
  getAllSpeakers(): Promise<never[]> {
    return Promise.resolve([]);
  }
  updateMic(): void {}
  updateCam(): void {}
  updateSpeaker(): void {}
  get selectedMic(): Record<string, never> {
    return {};
  }
  get selectedCam(): Record<string, never> {
    return {};
  }
  get selectedSpeaker(): Record<string, never> {
    return {};
  }
  enableMic(enable: boolean): void {
    this.micEnabled = enable;
  }
  enableCam(): void {}
  enableScreenShare(): void {}
  get isCamEnabled(): boolean {
    return false;
  }
  get isMicEnabled(): boolean {
    return this.micEnabled;
  }
  get isSharingScreen(): boolean {
    return false;
  }
  tracks(): { local: Record<string, never> } {
    return { local: {} };
  }

  /**
   * Feeds `ms` of audio into the transport in real time, one 512-sample chunk every 32 ms:
   * `speech` is a 300 Hz tone (speech to the energy VAD), `silence` zeros.
   */
  async speak(kind: 'speech' | 'silence', ms: number): Promise<void> {
    const chunks = Math.ceil(ms / 32);
    for (let i = 0; i < chunks; i++) {
      const pcm = new Int16Array(RECORDER_CHUNK);
      if (kind === 'speech')
        for (let s = 0; s < pcm.length; s++)
          pcm[s] = Math.round(
            0.3 * 32767 * Math.sin((2 * Math.PI * 300 * (i * RECORDER_CHUNK + s)) / 16000),
          );
      this.userAudio?.(pcm.buffer);
      await new Promise((resolve) => setTimeout(resolve, 32));
    }
  }
}

/** One RTVI message as the client's callbacks reported it. */
export interface Seen {
  readonly type: string;
  readonly data: unknown;
}

/** What the client's callbacks reported, in order, and waiting for a message. */
export class RtviLog {
  readonly seen: Seen[] = [];
  private waiters: { match: (s: Seen) => boolean; from: number; resolve: (s: Seen) => void }[] = [];

  push(type: string, data: unknown = {}): void {
    const s = { type, data };
    this.seen.push(s);
    const index = this.seen.length - 1;
    this.waiters = this.waiters.filter((w) => {
      if (index < w.from || !w.match(s)) return true;
      w.resolve(s);
      return false;
    });
  }

  /** The first message from index `from` on matching, now or when it arrives. */
  waitFor(type: string, match: (data: unknown) => boolean = () => true, from = 0): Promise<Seen> {
    const m = (s: Seen): boolean => s.type === type && match(s.data);
    const found = this.seen.slice(from).find(m);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve) => this.waiters.push({ match: m, from, resolve }));
  }

  types(from = 0): string[] {
    return this.seen.slice(from).map((s) => s.type);
  }

  of(type: string, from = 0): unknown[] {
    return this.seen
      .slice(from)
      .filter((s) => s.type === type)
      .map((s) => s.data);
  }
}
