/**
 * A session WebSocket client for over-the-wire tests: every text frame is parsed
 * as a CloudEvent (so a malformed one fails the test), audio frames are counted,
 * and a test awaits events and the close frame instead of sleeping.
 */
import { WebSocket } from 'ws';
import { parseEvent } from '@prx-voice/event';
import type { AnyVoiceEvent } from '@prx-voice/event';

/** A connected session WebSocket. */
export interface WsClient {
  readonly ws: WebSocket;
  /** The events received so far, in order. */
  readonly events: readonly AnyVoiceEvent[];
  /** Bytes of audio received. */
  readonly audioBytes: number;
  /** The close frame's code and reason, once the connection has closed. */
  readonly closed: Promise<{ code: number; reason: string }>;
  /** The first event of a type, received already or still to come. */
  waitFor(type: string): Promise<AnyVoiceEvent>;
  /** The next event of a type arriving from now on. */
  next(type: string): Promise<AnyVoiceEvent>;
}

/**
 * Opens a session WebSocket; resolves once it is open (a refusal then arrives as
 * the close frame: `(await client.closed).code`).
 */
export function connectWs(url: string, headers: Record<string, string> = {}): Promise<WsClient> {
  const ws = new WebSocket(url, { headers });
  const events: AnyVoiceEvent[] = [];
  const waiters: { type: string; resolve: (e: AnyVoiceEvent) => void }[] = [];
  let audioBytes = 0;
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (isBinary) {
      audioBytes += data.length;
      return;
    }
    const event = parseEvent(data.toString('utf8'));
    events.push(event);
    for (const w of waiters.splice(0)) {
      if (w.type === event.type) w.resolve(event);
      else waiters.push(w);
    }
  });
  const client: WsClient = {
    ws,
    events,
    get audioBytes() {
      return audioBytes;
    },
    closed,
    next: (type) => new Promise((resolve) => waiters.push({ type, resolve })),
    waitFor: (type) => {
      const seen = events.find((e) => e.type === type);
      return seen !== undefined ? Promise.resolve(seen) : client.next(type);
    },
  };
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(client));
    ws.once('error', reject);
  });
}

/** 20 ms of PCM16 16 kHz: a 300 Hz tone (speech to the energy VAD) or silence. */
export function pcmFrame(kind: 'speech' | 'silence'): Buffer {
  const out = Buffer.alloc(640);
  if (kind === 'silence') return out;
  for (let i = 0; i < 320; i++)
    out.writeInt16LE(Math.round(0.3 * 32767 * Math.sin((2 * Math.PI * 300 * i) / 16000)), i * 2);
  return out;
}
